//! Running a helper program (`tesseract`, poppler's tools) without a shell: arguments as a list,
//! input on stdin, outputs collected, killed when it overruns.

use std::io::{self, Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What a finished program left.
pub(crate) struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs `command` with `stdin` as its input; an error of kind `NotFound` when the program does
/// not exist, `TimedOut` when it ran longer than `timeout` (it is then killed).
pub(crate) fn run(command: &mut Command, stdin: &[u8], timeout: Duration) -> io::Result<Finished> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let (mut input, mut output, mut errors) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let deadline = Instant::now() + timeout;
    thread::scope(|scope| {
        scope.spawn(move || {
            if let Some(input) = input.as_mut() {
                // A program that stops reading early closes the pipe: its exit status tells.
                let _ = input.write_all(stdin);
            }
            drop(input);
        });
        let stdout = scope.spawn(move || drain(output.as_mut()));
        let stderr = scope.spawn(move || drain(errors.as_mut()));
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(2)),
                outcome => {
                    // Killed, its pipes close and the threads above end.
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(match outcome {
                        Err(e) => e,
                        Ok(_) => io::Error::from(io::ErrorKind::TimedOut),
                    });
                }
            }
        };
        let joined = |handle: thread::ScopedJoinHandle<'_, io::Result<Vec<u8>>>| {
            handle
                .join()
                .map_err(|_| io::Error::other("lecture de la sortie interrompue"))?
        };
        Ok(Finished {
            status,
            stdout: joined(stdout)?,
            stderr: joined(stderr)?,
        })
    })
}

fn drain(pipe: Option<&mut impl Read>) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if let Some(pipe) = pipe {
        pipe.read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}
