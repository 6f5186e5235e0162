//! Recovery of tool calls that a model wrote as text, and repair of malformed JSON arguments.
//!
//! Pure functions, no I/O. Shapes recognised in `content`:
//! - Mistral's `[TOOL_CALLS][{"name":…,"arguments":{…}}]` and `[TOOL_CALLS]name[ARGS]{…}`;
//! - a bare call object `{"name":…,"arguments"|"parameters":…}` or `{"function":{"name",…}}`,
//!   or a JSON array of them, anywhere in the prose, possibly inside a ```` ``` ```` fence.
//!
//! An object is a call when it has a string `name` and either an `arguments`/`parameters` key
//! or a name that is one of the offered tools; any other JSON stays prose.
//!
//! JSON is read leniently: trailing commas, single quotes, unquoted keys, Python
//! `True`/`False`/`None`, missing closing brackets at the end, stray closing brackets after the
//! value, unknown escapes and raw control characters in strings are accepted and mark the call
//! `repaired`. A truncated string or value is never completed: such arguments are an `Err`.

use std::ops::Range;

use serde_json::{Map, Value};

use super::ParsedCall;

/// Mistral's control token before its tool calls.
const TOOL_CALLS: &str = "[TOOL_CALLS]";
/// Separator between name and arguments in Mistral's newer text format.
const ARGS: &str = "[ARGS]";
/// Nesting deeper than this is refused (no stack overflow on hostile input).
const MAX_DEPTH: usize = 64;

/// Calls found in a text, and the byte ranges of the text they occupied.
#[derive(Debug, Default)]
pub(super) struct Extracted {
    pub calls: Vec<ParsedCall>,
    pub spans: Vec<Range<usize>>,
}

impl Extracted {
    /// The text outside the call spans, from byte `from` on.
    pub fn prose_from(&self, text: &str, from: usize) -> String {
        let mut out = String::new();
        let mut at = from;
        for span in &self.spans {
            if span.end <= at {
                continue;
            }
            if span.start > at {
                out.push_str(&text[at..span.start]);
            }
            at = span.end;
        }
        if at < text.len() {
            out.push_str(&text[at..]);
        }
        out
    }
}

/// Finds the tool calls written as text in `content`. `known` are the offered tool names.
pub(super) fn extract(content: &str, known: &[&str]) -> Extracted {
    let mut found = Extracted::default();
    let mut at = 0;
    while let Some(offset) = content[at..].find(['[', '{', '`']) {
        let start = at + offset;
        let rest = &content[start..];
        let next = if rest.starts_with(TOOL_CALLS) {
            marker_calls(content, start, known, &mut found)
        } else if rest.starts_with("```") {
            fenced_calls(content, start, known, &mut found)
        } else if rest.starts_with('`') {
            start + 1
        } else {
            json_calls(content, start, known, &mut found)
        };
        at = next.max(start + 1);
    }
    found
}

/// `[TOOL_CALLS]` followed by a JSON call (array) or by `name[ARGS]{…}`. Returns where to go on.
fn marker_calls(content: &str, start: usize, known: &[&str], found: &mut Extracted) -> usize {
    let after = start + TOOL_CALLS.len();
    let body = &content[after..];
    let trimmed = body.trim_start();
    let body_start = after + (body.len() - trimmed.len());
    if trimmed.starts_with(['[', '{']) {
        if let Some((calls, end)) = calls_at(content, body_start, known, true) {
            found.calls.extend(calls);
            found.spans.push(start..end);
            return end;
        }
        return after;
    }
    let Some(args_at) = trimmed.find(ARGS) else {
        return after;
    };
    let name = trimmed[..args_at].trim();
    let plausible = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !plausible {
        return after;
    }
    let args_start = body_start + args_at + ARGS.len();
    let (arguments, repaired, end) = match parse_prefix(&content[args_start..]) {
        Ok((value, used, repaired)) => {
            let (arguments, args_repaired) = arguments_value(value);
            (arguments, repaired || args_repaired, args_start + used)
        }
        Err(failure) => (Err(failure.reason), false, content.len()),
    };
    found.calls.push(ParsedCall {
        name: name.to_owned(),
        arguments,
        repaired,
    });
    found.spans.push(start..end);
    end
}

/// A ```` ``` ```` fence whose body holds calls becomes one span. Returns where to go on.
fn fenced_calls(content: &str, start: usize, known: &[&str], found: &mut Extracted) -> usize {
    let open_end = start + 3;
    let body_start = content[open_end..]
        .find('\n')
        .map_or(content.len(), |i| open_end + i + 1);
    let (body_end, end) = match content[body_start..].find("```") {
        Some(i) => (body_start + i, body_start + i + 3),
        None => (content.len(), content.len()),
    };
    let inner = extract(&content[body_start..body_end], known);
    if inner.calls.is_empty() {
        // JSON in a fence that is not a call is prose; do not look inside again.
        return end;
    }
    found.calls.extend(inner.calls);
    found.spans.push(start..end);
    end
}

/// A bare JSON value at `start`: calls if it is a call or an array of calls.
fn json_calls(content: &str, start: usize, known: &[&str], found: &mut Extracted) -> usize {
    match calls_at(content, start, known, false) {
        Some((calls, end)) => {
            found.calls.extend(calls);
            found.spans.push(start..end);
            end
        }
        None => match parse_prefix(&content[start..]) {
            // Plain JSON: skip it whole, nested objects are data, not calls.
            Ok((_, used, _)) => start + used,
            Err(_) => start + 1,
        },
    }
}

/// Parses the JSON at `start` and reads calls from it, with the end of what they occupy.
/// After `[TOOL_CALLS]` (`marked`) an object with a string `name` is a call even without
/// arguments.
fn calls_at(
    content: &str,
    start: usize,
    known: &[&str],
    marked: bool,
) -> Option<(Vec<ParsedCall>, usize)> {
    match parse_prefix(&content[start..]) {
        Ok((value, used, repaired)) => {
            calls_from_value(&value, known, marked, repaired).map(|calls| (calls, start + used))
        }
        Err(failure) => {
            let partial = failure.partial?;
            calls_from_partial(&partial, known, marked, &failure.reason)
                .map(|calls| (calls, content.len()))
        }
    }
}

/// A call object, or a non-empty array made only of call objects.
fn calls_from_value(
    value: &Value,
    known: &[&str],
    marked: bool,
    repaired: bool,
) -> Option<Vec<ParsedCall>> {
    match value {
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| call_from_value(item, known, marked, repaired))
            .collect(),
        Value::Object(_) => call_from_value(value, known, marked, repaired).map(|call| vec![call]),
        _ => None,
    }
}

/// Calls from JSON cut short: complete array items are calls as usual; the item (or object)
/// being read when the text broke off keeps its name and gets `Err(reason)` as arguments.
fn calls_from_partial(
    partial: &Value,
    known: &[&str],
    marked: bool,
    reason: &str,
) -> Option<Vec<ParsedCall>> {
    let broken = |value: &Value| {
        let (name, _) = call_parts(value, known, marked)?;
        Some(ParsedCall {
            name,
            arguments: Err(reason.to_owned()),
            repaired: false,
        })
    };
    match partial {
        Value::Array(items) => {
            let (last, complete) = items.split_last()?;
            let mut calls: Vec<ParsedCall> = complete
                .iter()
                .map(|item| call_from_value(item, known, marked, false))
                .collect::<Option<_>>()?;
            calls.extend(broken(last));
            (!calls.is_empty()).then_some(calls)
        }
        Value::Object(_) => broken(partial).map(|call| vec![call]),
        _ => None,
    }
}

fn call_from_value(
    value: &Value,
    known: &[&str],
    marked: bool,
    repaired: bool,
) -> Option<ParsedCall> {
    let (name, arguments) = call_parts(value, known, marked)?;
    let (arguments, args_repaired) = match arguments {
        Some(arguments) => arguments_value(arguments.clone()),
        None => (Ok(Value::Object(Map::new())), false),
    };
    Some(ParsedCall {
        name,
        arguments,
        repaired: repaired || args_repaired,
    })
}

/// The name and raw arguments of a call object, if `value` is one.
fn call_parts<'v>(
    value: &'v Value,
    known: &[&str],
    marked: bool,
) -> Option<(String, Option<&'v Value>)> {
    let mut object = value.as_object()?;
    if let Some(function) = object.get("function").and_then(Value::as_object)
        && function.get("name").is_some_and(Value::is_string)
    {
        object = function;
    }
    let name = object.get("name")?.as_str()?.trim();
    if name.is_empty() {
        return None;
    }
    let arguments = object.get("arguments").or_else(|| object.get("parameters"));
    if arguments.is_none() && !marked && !known.contains(&name) {
        return None;
    }
    Some((name.to_owned(), arguments))
}

/// Arguments as the tool expects them: a JSON object. A JSON string holding an object is read
/// (repaired); `null` or an empty string become `{}` (repaired).
pub(super) fn arguments_value(value: Value) -> (Result<Value, String>, bool) {
    match value {
        Value::Object(_) => (Ok(value), false),
        Value::Null => (Ok(Value::Object(Map::new())), true),
        Value::String(text) if text.trim().is_empty() => (Ok(Value::Object(Map::new())), true),
        Value::String(text) => match parse_full(&text) {
            Ok((object @ Value::Object(_), _)) => (Ok(object), true),
            Ok(_) => (Err(not_an_object()), false),
            Err(reason) => (Err(reason), false),
        },
        _ => (Err(not_an_object()), false),
    }
}

fn not_an_object() -> String {
    "JSON invalide : les arguments doivent être un objet JSON {…}".to_owned()
}

/// The raw model output in Ollama's "error parsing tool call: raw='…', err=…" message.
pub(super) fn tool_call_error_raw(message: &str) -> Option<&str> {
    const PREFIX: &str = "error parsing tool call: raw='";
    let start = message.find(PREFIX)? + PREFIX.len();
    let rest = &message[start..];
    Some(match rest.rfind("', err=") {
        Some(end) => &rest[..end],
        None => rest.strip_suffix('\'').unwrap_or(rest),
    })
}

/// A whole text as one JSON value: strict first, then lenient. The flag tells a repair was made.
fn parse_full(text: &str) -> Result<(Value, bool), String> {
    if let Ok(value) = serde_json::from_str(text) {
        return Ok((value, false));
    }
    let (value, used, repaired) = parse_prefix(text).map_err(|failure| failure.reason)?;
    let rest = &text[used..];
    if rest
        .chars()
        .all(|c| c.is_whitespace() || c == '}' || c == ']')
    {
        Ok((value, repaired || !rest.trim().is_empty()))
    } else {
        Err(format!(
            "JSON invalide : texte inattendu après le JSON « {} »",
            preview(rest.trim())
        ))
    }
}

/// Why lenient parsing failed, with what was read before the failure.
#[derive(Debug)]
struct Failure {
    reason: String,
    partial: Option<Value>,
}

/// Parses one JSON value at the start of `text` (after whitespace) leniently.
/// Returns the value, the bytes used and whether a repair was needed.
fn parse_prefix(text: &str) -> Result<(Value, usize, bool), Failure> {
    let mut parser = Lenient {
        text,
        pos: 0,
        repaired: false,
    };
    parser.skip_ws();
    let value = parser.value(0)?;
    Ok((value, parser.pos, parser.repaired))
}

struct Lenient<'a> {
    text: &'a str,
    pos: usize,
    repaired: bool,
}

impl Lenient<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn fail(&self, detail: &str, partial: Option<Value>) -> Failure {
        Failure {
            reason: format!("JSON invalide : {detail}"),
            partial,
        }
    }

    fn truncated(&self, partial: Option<Value>) -> Failure {
        self.fail("le JSON s'arrête avant la fin (tronqué)", partial)
    }

    fn unexpected(&self, c: char, partial: Option<Value>) -> Failure {
        self.fail(
            &format!("caractère inattendu « {c} » à la position {}", self.pos),
            partial,
        )
    }

    fn value(&mut self, depth: usize) -> Result<Value, Failure> {
        if depth > MAX_DEPTH {
            return Err(self.fail("imbrication trop profonde", None));
        }
        match self.peek() {
            None => Err(self.truncated(None)),
            Some('{') => self.object(depth),
            Some('[') => self.array(depth),
            Some(quote @ ('"' | '\'')) => {
                if quote == '\'' {
                    self.repaired = true;
                }
                self.string(quote).map(Value::String)
            }
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(c) if c.is_alphabetic() => self.literal(),
            Some(c) => Err(self.unexpected(c, None)),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, Failure> {
        self.bump();
        let mut map = Map::new();
        let mut after_comma = false;
        loop {
            self.skip_ws();
            let key = match self.peek() {
                None => {
                    self.repaired = true;
                    return Ok(Value::Object(map));
                }
                Some('}') => {
                    // A trailing comma before it is a repair.
                    self.repaired |= after_comma;
                    self.bump();
                    return Ok(Value::Object(map));
                }
                Some(',') => {
                    // Leading or doubled comma.
                    self.repaired = true;
                    self.bump();
                    continue;
                }
                Some(quote @ ('"' | '\'')) => {
                    if quote == '\'' {
                        self.repaired = true;
                    }
                    self.string(quote).map_err(|failure| Failure {
                        partial: Some(Value::Object(map.clone())),
                        ..failure
                    })?
                }
                Some(c) if c.is_alphabetic() || c == '_' => {
                    self.repaired = true;
                    self.identifier()
                }
                Some(c) => return Err(self.unexpected(c, Some(Value::Object(map)))),
            };
            self.skip_ws();
            match self.bump() {
                Some(':') => {}
                None => return Err(self.truncated(Some(Value::Object(map)))),
                Some(c) => return Err(self.unexpected(c, Some(Value::Object(map)))),
            }
            self.skip_ws();
            match self.value(depth + 1) {
                Ok(value) => {
                    map.insert(key, value);
                }
                Err(failure) => {
                    if let Some(partial) = failure.partial {
                        map.insert(key, partial);
                    }
                    return Err(Failure {
                        reason: failure.reason,
                        partial: Some(Value::Object(map)),
                    });
                }
            }
            self.skip_ws();
            match self.peek() {
                None => {
                    self.repaired = true;
                    return Ok(Value::Object(map));
                }
                Some(',') => {
                    self.bump();
                    after_comma = true;
                }
                Some('}') => {
                    self.bump();
                    return Ok(Value::Object(map));
                }
                Some(c) => return Err(self.unexpected(c, Some(Value::Object(map)))),
            }
        }
    }

    /// On failure the partial array ends with the item being read (`null` if nothing of it).
    fn array(&mut self, depth: usize) -> Result<Value, Failure> {
        self.bump();
        let mut items = Vec::new();
        let mut after_comma = false;
        loop {
            self.skip_ws();
            match self.peek() {
                None => {
                    self.repaired = true;
                    return Ok(Value::Array(items));
                }
                Some(']') => {
                    self.repaired |= after_comma;
                    self.bump();
                    return Ok(Value::Array(items));
                }
                Some(',') => {
                    self.repaired = true;
                    self.bump();
                    continue;
                }
                Some(_) => {}
            }
            match self.value(depth + 1) {
                Ok(value) => items.push(value),
                Err(failure) => {
                    items.push(failure.partial.unwrap_or(Value::Null));
                    return Err(Failure {
                        reason: failure.reason,
                        partial: Some(Value::Array(items)),
                    });
                }
            }
            self.skip_ws();
            match self.peek() {
                None => {
                    self.repaired = true;
                    return Ok(Value::Array(items));
                }
                Some(',') => {
                    self.bump();
                    after_comma = true;
                }
                Some(']') => {
                    self.bump();
                    return Ok(Value::Array(items));
                }
                Some(c) => {
                    items.push(Value::Null);
                    return Err(self.unexpected(c, Some(Value::Array(items))));
                }
            }
        }
    }

    /// A string opened by `quote` (`"` or `'`). A string cut short is a failure whose partial
    /// is what was read.
    fn string(&mut self, quote: char) -> Result<String, Failure> {
        self.bump();
        let mut out = String::new();
        loop {
            let Some(c) = self.bump() else {
                return Err(self.fail(
                    "chaîne non terminée (JSON tronqué)",
                    Some(Value::String(out)),
                ));
            };
            match c {
                c if c == quote => return Ok(out),
                '\\' => {
                    let Some(escaped) = self.bump() else {
                        return Err(self.fail(
                            "chaîne non terminée (JSON tronqué)",
                            Some(Value::String(out)),
                        ));
                    };
                    match escaped {
                        '"' | '\\' | '/' => out.push(escaped),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => out.push(self.unicode_escape()?),
                        other => {
                            // `\'` and unknown escapes such as `\$`: keep the character.
                            self.repaired = true;
                            out.push(other);
                        }
                    }
                }
                c if c.is_control() => {
                    self.repaired = true;
                    out.push(c);
                }
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Failure> {
        let digits = self.text.get(self.pos..self.pos + 4);
        match digits.and_then(|d| u32::from_str_radix(d, 16).ok()) {
            Some(code) => {
                self.pos += 4;
                Ok(code)
            }
            None => Err(self.fail("séquence \\u invalide", None)),
        }
    }

    fn unicode_escape(&mut self) -> Result<char, Failure> {
        let high = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&high) && self.text[self.pos..].starts_with("\\u") {
            self.pos += 2;
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err(self.fail("séquence \\u invalide", None));
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
            high
        };
        char::from_u32(code).ok_or_else(|| self.fail("séquence \\u invalide", None))
    }

    fn number(&mut self) -> Result<Value, Failure> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.bump();
        }
        let token = &self.text[start..self.pos];
        serde_json::from_str::<serde_json::Number>(token)
            .map(Value::Number)
            .map_err(|_| self.fail(&format!("nombre invalide « {token} »"), None))
    }

    fn identifier(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '-'))
        {
            self.bump();
        }
        self.text[start..self.pos].to_owned()
    }

    /// `true`/`false`/`null`, and Python's `True`/`False`/`None` (repaired).
    fn literal(&mut self) -> Result<Value, Failure> {
        let word = self.identifier();
        let (value, python) = match word.as_str() {
            "true" => (Value::Bool(true), false),
            "false" => (Value::Bool(false), false),
            "null" => (Value::Null, false),
            "True" => (Value::Bool(true), true),
            "False" => (Value::Bool(false), true),
            "None" => (Value::Null, true),
            _ => {
                return Err(self.fail(
                    &format!(
                        "valeur inconnue « {} » (texte sans guillemets ?)",
                        preview(&word)
                    ),
                    None,
                ));
            }
        };
        if python {
            self.repaired = true;
        }
        Ok(value)
    }
}

/// At most 40 characters of `text`, for error messages.
pub(super) fn preview(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if text.chars().nth(40).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const KNOWN: &[&str] = &["query_impayes", "lister_residences"];

    /// (case, content, expected calls as (name, arguments, repaired), expected prose)
    type Case = (
        &'static str,
        &'static str,
        Vec<(&'static str, Value, bool)>,
        &'static str,
    );

    fn ok_cases() -> Vec<Case> {
        let gueliz = json!({"residence": "Gueliz"});
        vec![
            (
                "mistral [TOOL_CALLS] array",
                r#"[TOOL_CALLS][{"name": "query_impayes", "arguments": {"residence": "Gueliz"}}]"#,
                vec![("query_impayes", gueliz.clone(), false)],
                "",
            ),
            (
                "mistral [TOOL_CALLS] two calls, space after marker",
                r#"[TOOL_CALLS] [{"name":"query_impayes","arguments":{"residence":"Gueliz"}},{"name":"lister_residences","arguments":{}}]"#,
                vec![
                    ("query_impayes", gueliz.clone(), false),
                    ("lister_residences", json!({}), false),
                ],
                "",
            ),
            (
                "mistral [TOOL_CALLS]name[ARGS]",
                r#"[TOOL_CALLS]query_impayes[ARGS]{"residence": "Gueliz"}"#,
                vec![("query_impayes", gueliz.clone(), false)],
                "",
            ),
            (
                "two [TOOL_CALLS]name[ARGS] calls",
                r#"[TOOL_CALLS]query_impayes[ARGS]{"residence": "Gueliz"}[TOOL_CALLS]lister_residences[ARGS]{}"#,
                vec![
                    ("query_impayes", gueliz.clone(), false),
                    ("lister_residences", json!({}), false),
                ],
                "",
            ),
            (
                "bare object with arguments",
                r#"{"name": "query_impayes", "arguments": {"residence": "Gueliz"}}"#,
                vec![("query_impayes", gueliz.clone(), false)],
                "",
            ),
            (
                "bare object with parameters",
                r#"{"name": "query_impayes", "parameters": {"residence": "Gueliz"}}"#,
                vec![("query_impayes", gueliz.clone(), false)],
                "",
            ),
            (
                "openai-style function object",
                r#"{"type": "function", "function": {"name": "query_impayes", "arguments": {"residence": "Gueliz"}}}"#,
                vec![("query_impayes", gueliz.clone(), false)],
                "",
            ),
            (
                "array of bare objects",
                r#"[{"name": "query_impayes", "arguments": {"residence": "Gueliz"}}, {"name": "lister_residences", "arguments": {}}]"#,
                vec![
                    ("query_impayes", gueliz.clone(), false),
                    ("lister_residences", json!({}), false),
                ],
                "",
            ),
            (
                "json fence with prose around",
                "Je vérifie les impayés.\n```json\n{\"name\": \"query_impayes\", \"arguments\": {\"residence\": \"Gueliz\"}}\n```\nUn instant.",
                vec![("query_impayes", gueliz.clone(), false)],
                "Je vérifie les impayés.\n\nUn instant.",
            ),
            (
                "fence without language",
                "```\n[TOOL_CALLS][{\"name\": \"lister_residences\", \"arguments\": {}}]\n```",
                vec![("lister_residences", json!({}), false)],
                "",
            ),
            (
                "prose before a bare call",
                r#"Voici l'appel : {"name": "query_impayes", "arguments": {"residence": "Gueliz"}}"#,
                vec![("query_impayes", gueliz.clone(), false)],
                "Voici l'appel :",
            ),
            (
                "known tool without arguments",
                r#"{"name": "lister_residences"}"#,
                vec![("lister_residences", json!({}), false)],
                "",
            ),
            (
                "unknown tool name with arguments is still a call",
                r#"{"name": "envoyer_fax", "arguments": {"a": 1}}"#,
                vec![("envoyer_fax", json!({"a": 1}), false)],
                "",
            ),
            (
                "arguments as a string holding JSON",
                r#"{"name": "query_impayes", "arguments": "{\"residence\": \"Gueliz\"}"}"#,
                vec![("query_impayes", gueliz.clone(), true)],
                "",
            ),
            (
                "null arguments",
                r#"{"name": "lister_residences", "arguments": null}"#,
                vec![("lister_residences", json!({}), true)],
                "",
            ),
            (
                "trailing commas",
                r#"{"name": "query_impayes", "arguments": {"residence": "Gueliz", "mois": [1, 2,],},}"#,
                vec![(
                    "query_impayes",
                    json!({"residence": "Gueliz", "mois": [1, 2]}),
                    true,
                )],
                "",
            ),
            (
                "single quotes",
                r#"{'name': 'query_impayes', 'arguments': {'residence': 'L\'Oasis'}}"#,
                vec![("query_impayes", json!({"residence": "L'Oasis"}), true)],
                "",
            ),
            (
                "unquoted keys",
                r#"{name: "query_impayes", arguments: {residence: "Gueliz", seuil_mad: 100}}"#,
                vec![(
                    "query_impayes",
                    json!({"residence": "Gueliz", "seuil_mad": 100}),
                    true,
                )],
                "",
            ),
            (
                "python literals",
                r#"{"name": "query_impayes", "arguments": {"inclure_payes": False, "relance": True, "lot": None}}"#,
                vec![(
                    "query_impayes",
                    json!({"inclure_payes": false, "relance": true, "lot": null}),
                    true,
                )],
                "",
            ),
            (
                "missing closing braces",
                r#"{"name": "query_impayes", "arguments": {"residence": "Gueliz""#,
                vec![("query_impayes", gueliz.clone(), true)],
                "",
            ),
            (
                "[TOOL_CALLS] missing closing bracket",
                r#"[TOOL_CALLS][{"name": "query_impayes", "arguments": {"residence": "Gueliz"}}"#,
                vec![("query_impayes", gueliz.clone(), true)],
                "",
            ),
            (
                "[ARGS] with python literal",
                r#"[TOOL_CALLS]query_impayes[ARGS]{"residence": "Gueliz", "relance": True}"#,
                vec![(
                    "query_impayes",
                    json!({"residence": "Gueliz", "relance": true}),
                    true,
                )],
                "",
            ),
            (
                "unknown escape kept",
                r#"{"name": "query_impayes", "arguments": {"note": "\$900"}}"#,
                vec![("query_impayes", json!({"note": "$900"}), true)],
                "",
            ),
            (
                "unicode escapes and accents",
                r#"{"name": "query_impayes", "arguments": {"residence": "R\u00e9sidence \ud83c\udfe0 Atlas"}}"#,
                vec![(
                    "query_impayes",
                    json!({"residence": "Résidence 🏠 Atlas"}),
                    false,
                )],
                "",
            ),
        ]
    }

    #[test]
    fn recovers_text_calls() {
        for (case, content, expected, prose) in ok_cases() {
            let found = extract(content, KNOWN);
            let got: Vec<(&str, Value, bool)> = found
                .calls
                .iter()
                .map(|c| {
                    let args = c
                        .arguments
                        .clone()
                        .unwrap_or_else(|e| panic!("{case}: {e}"));
                    (c.name.as_str(), args, c.repaired)
                })
                .collect();
            assert_eq!(got, expected, "{case}");
            assert_eq!(found.prose_from(content, 0).trim(), prose, "{case}");
        }
    }

    #[test]
    fn plain_text_and_plain_json_stay_prose() {
        for content in [
            "Bonjour, la résidence Gueliz n'a aucun impayé.",
            r#"Le lot {"lot": "3B", "solde": 1200} est à jour."#,
            r#"{"name": "Dupont", "lot": "3B"}"#,
            r#"[{"name": "Dupont"}, {"name": "Alami"}]"#,
            "Voir [1] et [note : à vérifier] ou {ceci}.",
            "Utilisez `query_impayes` pour cela.",
            "```python\nprint({'name': 'x'})\n```",
            "[TOOL_CALLS] je ne sais pas",
            "[1, 2, 3] {",
            "",
        ] {
            let found = extract(content, KNOWN);
            assert!(found.calls.is_empty(), "{content}: {:?}", found.calls);
            assert_eq!(found.prose_from(content, 0), content);
        }
    }

    #[test]
    fn unrecoverable_arguments_are_reasons() {
        // (case, content, name, words the reason must contain)
        let cases = [
            (
                "truncated string",
                r#"{"name": "query_impayes", "arguments": {"residence": "Gu"#,
                "query_impayes",
                "tronqué",
            ),
            (
                "truncated after a key",
                r#"[TOOL_CALLS][{"name": "query_impayes", "arguments": {"residence":"#,
                "query_impayes",
                "tronqué",
            ),
            (
                "unquoted string value",
                r#"{"name": "query_impayes", "arguments": {"residence": Gueliz}}"#,
                "query_impayes",
                "Gueliz",
            ),
            (
                "arguments string that is not JSON",
                r#"{"name": "query_impayes", "arguments": "residence=Gueliz"}"#,
                "query_impayes",
                "JSON invalide",
            ),
            (
                "arguments that are not an object",
                r#"{"name": "query_impayes", "arguments": [1, 2]}"#,
                "query_impayes",
                "objet JSON",
            ),
            (
                "[ARGS] cut short",
                r#"[TOOL_CALLS]query_impayes[ARGS]{"residence": "Gu"#,
                "query_impayes",
                "tronqué",
            ),
            (
                "missing comma between members",
                r#"{"name": "query_impayes", "arguments": {"a": 1 "b": 2}}"#,
                "query_impayes",
                "position",
            ),
        ];
        for (case, content, name, needle) in cases {
            let found = extract(content, KNOWN);
            assert_eq!(found.calls.len(), 1, "{case}: {:?}", found.calls);
            let call = &found.calls[0];
            assert_eq!(call.name, name, "{case}");
            let reason = call.arguments.clone().expect_err(case);
            assert!(reason.starts_with("JSON invalide"), "{case}: {reason}");
            assert!(reason.contains(needle), "{case}: {reason}");
            assert_eq!(found.prose_from(content, 0).trim(), "", "{case}");
        }
    }

    #[test]
    fn complete_calls_before_a_broken_one_are_kept() {
        let content = r#"[{"name": "lister_residences", "arguments": {}}, {"name": "query_impayes", "arguments": {"residence": "Gu"#;
        let found = extract(content, KNOWN);
        assert_eq!(found.calls.len(), 2);
        assert_eq!(found.calls[0].arguments, Ok(json!({})));
        assert!(found.calls[1].arguments.is_err());
    }

    #[test]
    fn parse_full_repairs_or_explains() {
        type Expected = Result<(Value, bool), &'static str>;
        let cases: Vec<(&str, Expected)> = vec![
            (r#"{"a": 1}"#, Ok((json!({"a": 1}), false))),
            (r#"{"a": 1,}"#, Ok((json!({"a": 1}), true))),
            (r#"{"a": 1}}"#, Ok((json!({"a": 1}), true))),
            (
                r#"{"a": {"b": [1, 2"#,
                Ok((json!({"a": {"b": [1, 2]}}), true)),
            ),
            ("{'a': 'x\ny'}", Ok((json!({"a": "x\ny"}), true))),
            (r#"{"a": 1} et puis"#, Err("après le JSON")),
            (r#"{"a": 01x}"#, Err("nombre invalide")),
            (r#"{"a": NaN}"#, Err("NaN")),
            ("", Err("tronqué")),
        ];
        for (text, expected) in cases {
            match (parse_full(text), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{text}"),
                (Err(reason), Err(needle)) => assert!(reason.contains(needle), "{text}: {reason}"),
                (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = "[".repeat(10_000);
        let reason = parse_full(&text).expect_err("too deep");
        assert!(reason.contains("imbrication"), "{reason}");
    }

    #[test]
    fn ollama_error_raw() {
        let cases = [
            (
                r#"error parsing tool call: raw='{"name": "query_impayes", "arguments": {"residence": "Gu', err=unexpected end of JSON input"#,
                Some(r#"{"name": "query_impayes", "arguments": {"residence": "Gu"#),
            ),
            (
                "error parsing tool call: raw='{'a': 1}', err=invalid character '\\'' looking for beginning of object key string",
                Some("{'a': 1}"),
            ),
            ("error parsing tool call: raw='{\"a\"", Some("{\"a\"")),
            ("model 'mistral' not found", None),
        ];
        for (message, raw) in cases {
            assert_eq!(tool_call_error_raw(message), raw, "{message}");
        }
    }
}
