//! Recording: turning the emulator's request journal into a scenario file that replays green
//! (after a reset, on the same fixture).

use serde_json::Value;

/// Renders journal entries (as `GET /__admin/journal` returns them) as a scenario. JSON is
/// valid YAML, so bodies are written in JSON flow style inside the YAML structure.
pub fn record_scenario(name: &str, entries: &[Value]) -> String {
    let mut out = format!(
        "# Recorded from the request journal. Replay after a reset, on the same fixture.\nname: {}\nsteps:\n",
        json(&Value::String(name.to_string()))
    );
    for (i, entry) in entries.iter().enumerate() {
        let uri = entry["uri"].as_str().unwrap_or("");
        let query = uri.split_once('?').map_or("", |(_, q)| q);
        let params = oauth1_signature::parse_query(query).unwrap_or_default();
        let mut script = None;
        let mut deploy = None;
        let mut rest = Vec::new();
        for (k, v) in params {
            match k.as_str() {
                "script" => script = Some(v),
                "deploy" => deploy = Some(v),
                _ => rest.push((k, v)),
            }
        }
        let Some(script) = script else { continue };
        let method = entry["method"].as_str().unwrap_or("GET");
        out += &format!(
            "  - name: {}\n    request:\n      method: {method}\n      script: {}\n      deploy: {}\n",
            json(&Value::String(format!("{} {} #{}", method, script, i + 1))),
            json(&Value::String(script)),
            json(&Value::String(deploy.unwrap_or_else(|| "1".into())))
        );
        if !rest.is_empty() {
            let query: serde_json::Map<String, Value> =
                rest.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            out += &format!("      query: {}\n", json(&Value::Object(query)));
        }
        match entry["contentType"].as_str() {
            Some(ct) if ct.starts_with("application/json") => {}
            Some(ct) => {
                out += &format!("      content_type: {}\n", json(&Value::String(ct.to_string())))
            }
            None => out += "      content_type: none\n",
        }
        if let Some(token) = entry["token"].as_str() {
            out += &format!("      token: {}\n", json(&Value::String(token.to_string())));
        } else {
            out += "      auth: none\n";
        }
        let request_body = entry["requestBody"].as_str().unwrap_or("");
        if !request_body.is_empty() {
            match serde_json::from_str::<Value>(request_body) {
                Ok(body) => out += &format!("      body: {}\n", json(&body)),
                Err(_) => {
                    out += &format!(
                        "      raw_body: {}\n",
                        json(&Value::String(request_body.to_string()))
                    )
                }
            }
        }
        let status = entry["status"].as_u64().unwrap_or(200);
        out += &format!("    expect:\n      status: {status}\n");
        if let Ok(body) =
            serde_json::from_str::<Value>(entry["responseBody"].as_str().unwrap_or(""))
        {
            out += &format!("      body: {}\n", json(&body));
        }
    }
    out
}

fn json(value: &Value) -> String {
    value.to_string()
}
