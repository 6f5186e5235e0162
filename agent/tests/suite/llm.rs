//! The Ollama client against the scripted fake server: streaming, native and text-emitted tool
//! calls, repairs, Ollama's errors, timeouts, an absent server, and what is sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wakil_agent::llm::{
    LlmClient, LlmConfig, LlmError, Message, ParsedCall, Reply, ToolCall, ToolDef,
};
use wakil_agent::testing::{FakeOllama, Turn};

fn config(url: &str, timeout: Duration) -> LlmConfig {
    LlmConfig {
        host: url.to_owned(),
        model: "mistral".to_owned(),
        temperature: 0.0,
        timeout,
    }
}

fn client(url: &str) -> LlmClient {
    LlmClient::new(config(url, Duration::from_secs(10))).unwrap()
}

fn tools() -> Vec<ToolDef> {
    vec![
        ToolDef {
            name: "query_impayes".to_owned(),
            description: "Impayés d'une résidence".to_owned(),
            parameters: json!({
                "type": "object",
                "properties": {"residence": {"type": "string"}},
                "required": ["residence"],
            }),
        },
        ToolDef {
            name: "lister_residences".to_owned(),
            description: "Les résidences gérées".to_owned(),
            parameters: json!({"type": "object", "properties": {}}),
        },
    ]
}

fn question() -> Vec<Message> {
    vec![
        Message::system("Tu es Wakil."),
        Message::user("Qui n'a pas payé à Gueliz ?"),
    ]
}

/// One turn against a fake playing `turn`; returns the result and what reached `on_text`.
async fn one_turn(turn: Turn) -> (Result<Reply, LlmError>, Vec<String>) {
    let fake = FakeOllama::start(vec![turn]).await;
    let mut seen = Vec::new();
    let result = client(&fake.url())
        .chat(&question(), &tools(), &mut |text: &str| {
            seen.push(text.to_owned())
        })
        .await;
    fake.stop().await;
    (result, seen)
}

fn call(name: &str, arguments: Value, repaired: bool) -> ParsedCall {
    ParsedCall {
        name: name.to_owned(),
        arguments: Ok(arguments),
        repaired,
    }
}

fn gueliz() -> Value {
    json!({"residence": "Gueliz"})
}

fn parse_error_body(raw: &str) -> String {
    json!({"error": format!("error parsing tool call: raw='{raw}', err=unexpected end of JSON input")})
        .to_string()
}

#[tokio::test]
async fn streamed_text_reaches_on_text_in_order() {
    let text = "Trois copropriétaires de la résidence Gueliz ont des impayés.";
    let fake = FakeOllama::start(vec![Turn::Text(text.to_owned())]).await;
    let mut seen = Vec::new();
    let reply = client(&fake.url())
        .chat(&question(), &tools(), &mut |t: &str| {
            seen.push(t.to_owned())
        })
        .await
        .unwrap();
    assert!(seen.len() > 5, "streamed in several chunks: {seen:?}");
    assert_eq!(seen.first().map(String::as_str), Some("Trois "));
    assert_eq!(seen.concat(), text);
    assert_eq!(reply.content, text);
    assert!(reply.calls.is_empty());
    assert!(!reply.calls_from_text);
    let recorded = fake.requests();
    assert_eq!(recorded.len(), 1);
    assert!(recorded[0].prompt_tokens > 0);
    assert_eq!(reply.prompt_tokens, recorded[0].prompt_tokens);
    assert_eq!(reply.output_tokens, 16, "61 characters / 4, rounded up");
}

#[tokio::test]
async fn native_calls() {
    let (result, seen) = one_turn(Turn::Calls(vec![
        ToolCall {
            name: "query_impayes".to_owned(),
            arguments: gueliz(),
        },
        ToolCall {
            name: "lister_residences".to_owned(),
            arguments: json!({}),
        },
    ]))
    .await;
    let reply = result.unwrap();
    assert_eq!(
        reply.calls,
        [
            call("query_impayes", gueliz(), false),
            call("lister_residences", json!({}), false)
        ]
    );
    assert!(!reply.calls_from_text);
    assert_eq!(reply.content, "");
    assert!(seen.is_empty(), "{seen:?}");
}

#[tokio::test]
async fn calls_written_as_text_are_recovered() {
    let bare = r#"{"name": "query_impayes", "arguments": {"residence": "Gueliz"}}"#;
    // (shape, content, prose left)
    let shapes = [
        ("[TOOL_CALLS] array", format!("[TOOL_CALLS][{bare}]"), ""),
        (
            "[TOOL_CALLS]name[ARGS]",
            r#"[TOOL_CALLS]query_impayes[ARGS]{"residence": "Gueliz"}"#.to_owned(),
            "",
        ),
        ("bare object", bare.to_owned(), ""),
        (
            "parameters",
            r#"{"name": "query_impayes", "parameters": {"residence": "Gueliz"}}"#.to_owned(),
            "",
        ),
        (
            "function wrapper",
            r#"{"function": {"name": "query_impayes", "arguments": {"residence": "Gueliz"}}}"#
                .to_owned(),
            "",
        ),
        ("array", format!("[{bare}]"), ""),
        (
            "json fence with prose",
            format!("Je consulte les impayés.\n```json\n{bare}\n```\nUn instant."),
            "Je consulte les impayés.\n\nUn instant.",
        ),
    ];
    for (shape, content, prose) in shapes {
        let (result, seen) = one_turn(Turn::Text(content)).await;
        let reply = result.unwrap();
        assert_eq!(
            reply.calls,
            [call("query_impayes", gueliz(), false)],
            "{shape}"
        );
        assert!(reply.calls_from_text, "{shape}");
        assert_eq!(reply.content, prose, "{shape}");
        let shown = seen.concat();
        assert!(
            !shown.contains("query_impayes") && !shown.contains('{'),
            "{shape}: the call was shown: {shown:?}"
        );
        if !prose.is_empty() {
            assert!(shown.starts_with("Je consulte"), "{shape}: {shown:?}");
            assert!(
                shown.trim_end().ends_with("Un instant."),
                "{shape}: {shown:?}"
            );
        }
    }
}

#[tokio::test]
async fn plain_json_in_prose_is_not_a_call() {
    let text = r#"Le lot {"lot": "3B", "name": "Dupont"} est à jour."#;
    let (result, seen) = one_turn(Turn::Text(text.to_owned())).await;
    let reply = result.unwrap();
    assert!(reply.calls.is_empty());
    assert!(!reply.calls_from_text);
    assert_eq!(reply.content, text);
    assert_eq!(seen.concat(), text);
}

#[tokio::test]
async fn malformed_arguments_are_repaired() {
    let cases = [
        (
            "trailing comma, single quotes, python literal in text",
            Turn::Text(
                r#"[TOOL_CALLS][{'name': 'query_impayes', 'arguments': {'residence': 'Gueliz', 'relance': True,},}]"#
                    .to_owned(),
            ),
            json!({"residence": "Gueliz", "relance": true}),
        ),
        (
            "unquoted keys, missing closing braces in text",
            Turn::Text(r#"{name: "query_impayes", arguments: {residence: "Gueliz""#.to_owned()),
            gueliz(),
        ),
        (
            "native arguments as a string with a trailing comma",
            Turn::RawArguments {
                name: "query_impayes".to_owned(),
                arguments: r#"{"residence": "Gueliz",}"#.to_owned(),
            },
            gueliz(),
        ),
        (
            "native arguments as a string with None",
            Turn::RawArguments {
                name: "query_impayes".to_owned(),
                arguments: r#"{"residence": "Gueliz", "lot": None}"#.to_owned(),
            },
            json!({"residence": "Gueliz", "lot": null}),
        ),
    ];
    for (case, turn, arguments) in cases {
        let (result, _) = one_turn(turn).await;
        let reply = result.unwrap();
        assert_eq!(
            reply.calls,
            [call("query_impayes", arguments, true)],
            "{case}"
        );
    }
}

#[tokio::test]
async fn unrecoverable_arguments_carry_a_reason() {
    let cases = [
        Turn::RawArguments {
            name: "query_impayes".to_owned(),
            arguments: r#"{"residence": Gueliz}"#.to_owned(),
        },
        Turn::Text(
            r#"[TOOL_CALLS][{"name": "query_impayes", "arguments": {"residence": "Gu"#.to_owned(),
        ),
    ];
    for turn in cases {
        let (result, _) = one_turn(turn.clone()).await;
        let reply = result.unwrap();
        assert_eq!(reply.calls.len(), 1, "{turn:?}");
        assert_eq!(reply.calls[0].name, "query_impayes");
        let reason = reply.calls[0].arguments.clone().unwrap_err();
        assert!(reason.starts_with("JSON invalide : "), "{reason}");
    }
}

#[tokio::test]
async fn ollama_tool_call_parse_error_is_recovered() {
    let raw = r#"[{"name": "query_impayes", "arguments": {"residence": "Gueliz",}}]"#;
    let (result, seen) = one_turn(Turn::Error {
        status: 500,
        body: parse_error_body(raw),
    })
    .await;
    let reply = result.unwrap();
    assert_eq!(reply.calls, [call("query_impayes", gueliz(), true)]);
    assert!(reply.calls_from_text);
    assert_eq!(reply.content, "");
    assert!(seen.is_empty(), "{seen:?}");
}

#[tokio::test]
async fn ollama_tool_call_parse_error_of_a_truncated_call_keeps_the_name() {
    // Ollama's real message when the model stopped inside a string.
    let (result, _) = one_turn(Turn::Error {
        status: 500,
        body: parse_error_body(r#"{"name": "query_impayes", "arguments": {"residence": "Gu"#),
    })
    .await;
    let reply = result.unwrap();
    assert!(reply.calls_from_text);
    assert_eq!(reply.calls.len(), 1);
    assert_eq!(reply.calls[0].name, "query_impayes");
    let reason = reply.calls[0].arguments.clone().unwrap_err();
    assert!(reason.contains("tronqué"), "{reason}");
}

#[tokio::test]
async fn ollama_tool_call_parse_error_without_a_call_is_an_error() {
    let raw = "We need to check the impayés of Gueliz first";
    let body = json!({"error": format!("error parsing tool call: raw='{raw}', err=invalid character 'W' looking for beginning of value")});
    let (result, seen) = one_turn(Turn::Error {
        status: 500,
        body: body.to_string(),
    })
    .await;
    match result {
        Err(LlmError::ToolCallParse(got)) => assert_eq!(got, raw),
        other => panic!("{other:?}"),
    }
    assert!(seen.is_empty(), "{seen:?}");
}

#[tokio::test]
async fn tool_call_parse_error_inside_the_stream_is_recovered_too() {
    let body = parse_error_body(r#"{"name": "lister_residences", "arguments": {}}"#) + "\n";
    let (result, _) = one_turn(Turn::Error { status: 200, body }).await;
    let reply = result.unwrap();
    assert_eq!(reply.calls, [call("lister_residences", json!({}), false)]);
    assert!(reply.calls_from_text);
}

#[tokio::test]
async fn other_http_errors() {
    let cases = [
        (
            500,
            r#"{"error":"model requires more system memory (9.1 GiB) than is available (4.0 GiB)"}"#,
            "model requires more system memory (9.1 GiB) than is available (4.0 GiB)",
        ),
        (
            404,
            r#"{"error":"model 'mistral' not found"}"#,
            "model 'mistral' not found",
        ),
        (502, "Bad Gateway", "Bad Gateway"),
    ];
    for (status, body, message) in cases {
        let (result, _) = one_turn(Turn::Error {
            status,
            body: body.to_owned(),
        })
        .await;
        match result {
            Err(LlmError::Http {
                status: got_status,
                message: got,
            }) => {
                assert_eq!(got_status, status);
                assert_eq!(got, message);
            }
            other => panic!("{status}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn garbage_and_in_stream_errors() {
    let (result, _) = one_turn(Turn::Error {
        status: 200,
        body: "<html>proxy</html>\n".to_owned(),
    })
    .await;
    assert!(matches!(result, Err(LlmError::Protocol(_))), "{result:?}");

    let body = concat!(
        r#"{"message":{"role":"assistant","content":"Bon"},"done":false}"#,
        "\n",
        r#"{"error":"llama runner process has terminated"}"#,
        "\n"
    );
    let (result, seen) = one_turn(Turn::Error {
        status: 200,
        body: body.to_owned(),
    })
    .await;
    match result {
        Err(LlmError::Server(message)) => {
            assert_eq!(message, "llama runner process has terminated")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(seen, ["Bon"]);

    let (result, _) = one_turn(Turn::Error {
        status: 200,
        body: r#"{"message":{"role":"assistant","content":"Bon"},"done":false}"#.to_owned() + "\n",
    })
    .await;
    assert!(
        matches!(result, Err(LlmError::Protocol(_))),
        "stream cut short: {result:?}"
    );
}

#[tokio::test]
async fn a_hanging_model_times_out() {
    let fake = FakeOllama::start(vec![Turn::Hang(Duration::from_secs(3))]).await;
    let client = LlmClient::new(config(&fake.url(), Duration::from_millis(300))).unwrap();
    let started = Instant::now();
    let result = client.chat(&question(), &tools(), &mut |_| {}).await;
    assert!(matches!(result, Err(LlmError::Timeout)), "{result:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    fake.stop().await;
}

#[tokio::test]
async fn a_slow_but_timely_model_is_fine() {
    let (result, _) = one_turn(Turn::Hang(Duration::from_millis(200))).await;
    let reply = result.unwrap();
    assert_eq!(reply.content, "");
    assert!(reply.calls.is_empty());
}

#[tokio::test]
async fn an_absent_server_is_unreachable_quickly() {
    let url = FakeOllama::unreachable_url().await;
    let client = LlmClient::new(config(&url, Duration::from_secs(30))).unwrap();
    let started = Instant::now();
    assert!(!client.available().await);
    let result = client.chat(&question(), &tools(), &mut |_| {}).await;
    match result {
        Err(LlmError::Unreachable(message)) => assert!(message.contains(&url), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_stopped_server_is_unreachable() {
    let fake = FakeOllama::start(vec![Turn::Text("Bonjour".to_owned())]).await;
    let client = client(&fake.url());
    assert!(client.available().await);
    client.chat(&question(), &[], &mut |_| {}).await.unwrap();
    fake.stop().await;
    assert!(!client.available().await);
    let result = client.chat(&question(), &[], &mut |_| {}).await;
    assert!(
        matches!(result, Err(LlmError::Unreachable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn what_was_sent_is_recorded() {
    let fake = FakeOllama::start(vec![Turn::Text("Trois impayés.".to_owned())]).await;
    let messages = vec![
        Message::system("Tu es Wakil."),
        Message::user("Qui n'a pas payé à Gueliz ?"),
        Message::assistant(
            "",
            vec![ToolCall {
                name: "query_impayes".to_owned(),
                arguments: gueliz(),
            }],
        ),
        Message::tool("query_impayes", r#"{"total": "3 600,00"}"#),
    ];
    client(&fake.url())
        .chat(&messages, &tools(), &mut |_| {})
        .await
        .unwrap();
    let recorded = fake.requests();
    assert_eq!(recorded.len(), 1);
    let sent = &recorded[0];
    assert_eq!(sent.model, "mistral");
    assert!(sent.stream);
    assert_eq!(sent.options, json!({"temperature": 0.0}));
    assert_eq!(
        sent.messages,
        [
            json!({"role": "system", "content": "Tu es Wakil."}),
            json!({"role": "user", "content": "Qui n'a pas payé à Gueliz ?"}),
            json!({"role": "assistant", "content": "", "tool_calls": [
                {"function": {"name": "query_impayes", "arguments": {"residence": "Gueliz"}}}
            ]}),
            json!({"role": "tool", "content": r#"{"total": "3 600,00"}"#, "tool_name": "query_impayes"}),
        ]
    );
    assert_eq!(sent.tools.len(), 2);
    assert_eq!(
        sent.tools[0],
        json!({"type": "function", "function": {
            "name": "query_impayes",
            "description": "Impayés d'une résidence",
            "parameters": tools()[0].parameters,
        }})
    );
    let chars = Value::Array(sent.messages.clone())
        .to_string()
        .chars()
        .count()
        + Value::Array(sent.tools.clone()).to_string().chars().count();
    assert_eq!(sent.prompt_tokens as usize, chars.div_ceil(4));
}

#[tokio::test]
async fn no_tools_key_without_tools_and_configured_temperature() {
    let fake = FakeOllama::start(vec![Turn::Text("Salam".to_owned())]).await;
    let client = LlmClient::new(LlmConfig {
        temperature: 0.5,
        model: "qwen2.5:7b".to_owned(),
        ..config(&fake.url(), Duration::from_secs(5))
    })
    .unwrap();
    client.chat(&question(), &[], &mut |_| {}).await.unwrap();
    let sent = &fake.requests()[0];
    assert_eq!(sent.model, "qwen2.5:7b");
    assert!(sent.tools.is_empty());
    assert_eq!(sent.options, json!({"temperature": 0.5}));
}

#[tokio::test]
async fn script_then_responder_then_exhausted() {
    let fake = FakeOllama::start(vec![Turn::Text("un".to_owned())]).await;
    fake.push(Turn::Text("deux".to_owned()));
    let client = client(&fake.url());
    let say = |text: &str| vec![Message::user(text)];
    let content = |reply: Result<Reply, LlmError>| reply.unwrap().content;
    assert_eq!(
        content(client.chat(&say("a"), &[], &mut |_| {}).await),
        "un"
    );
    assert_eq!(
        content(client.chat(&say("b"), &[], &mut |_| {}).await),
        "deux"
    );
    match client.chat(&say("c"), &[], &mut |_| {}).await {
        Err(LlmError::Http {
            status: 500,
            message,
        }) => {
            assert_eq!(message, "fake ollama: script exhausted")
        }
        other => panic!("{other:?}"),
    }
    fake.respond_with(|request| {
        let last = request.messages.last().unwrap()["content"]
            .as_str()
            .unwrap();
        Turn::Text(format!("écho : {last}"))
    });
    assert_eq!(
        content(client.chat(&say("d"), &[], &mut |_| {}).await),
        "écho : d"
    );
    assert_eq!(
        fake.requests().len(),
        4,
        "the exhausted request is recorded too"
    );
    fake.stop().await;
}

#[tokio::test]
async fn fake_answers_unstreamed_requests_and_the_probes() {
    let fake = FakeOllama::start(vec![Turn::Calls(vec![ToolCall {
        name: "lister_residences".to_owned(),
        arguments: json!({}),
    }])])
    .await;
    let http = reqwest::Client::new();
    let reply: Value = http
        .post(format!("{}/api/chat", fake.url()))
        .json(&json!({"model": "mistral", "messages": [], "stream": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["done"], true);
    assert_eq!(
        reply["message"]["tool_calls"][0]["function"]["name"],
        "lister_residences"
    );
    assert!(!fake.requests()[0].stream);
    let tags: Value = http
        .get(format!("{}/api/tags", fake.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tags["models"][0]["name"], "mistral:latest");
    fake.stop().await;
}
