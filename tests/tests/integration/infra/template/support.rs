//! Loading `template.yaml`, walking it, and rewriting its documents into the
//! placeholder text of `infra-policies/`.

use std::collections::BTreeMap;

use serde_json::{Map as JsonMap, Value as Json};
use serde_yaml::{Mapping, Value as Yaml};

use homedir_tests::repo_text;

pub(crate) fn template() -> Yaml {
    serde_yaml::from_str(&repo_text("template.yaml"))
        .unwrap_or_else(|e| panic!("parse template.yaml: {e}"))
}

pub(crate) fn policy_file(name: &str) -> Json {
    serde_json::from_str(&repo_text(&format!("infra-policies/{name}")))
        .unwrap_or_else(|e| panic!("parse infra-policies/{name}: {e}"))
}

pub(crate) fn get<'a>(value: &'a Yaml, key: &str) -> Option<&'a Yaml> {
    value.as_mapping().and_then(|m| m.get(key))
}

pub(crate) fn at<'a>(value: &'a Yaml, path: &[&str]) -> &'a Yaml {
    let mut current = value;
    for (i, key) in path.iter().enumerate() {
        current =
            get(current, key).unwrap_or_else(|| panic!("template has no {}", path[..=i].join(".")));
    }
    current
}

pub(crate) fn resources(t: &Yaml) -> &Mapping {
    at(t, &["Resources"])
        .as_mapping()
        .expect("Resources is a mapping")
}

pub(crate) fn resource<'a>(t: &'a Yaml, logical_id: &str) -> &'a Yaml {
    at(t, &["Resources", logical_id])
}

pub(crate) fn props<'a>(t: &'a Yaml, logical_id: &str) -> &'a Yaml {
    at(t, &["Resources", logical_id, "Properties"])
}

pub(crate) fn resources_of_type<'a>(t: &'a Yaml, ty: &str) -> Vec<(String, &'a Yaml)> {
    resources(t)
        .iter()
        .filter(|(_, r)| get(r, "Type").and_then(Yaml::as_str) == Some(ty))
        .map(|(k, r)| (k.as_str().expect("logical ids are strings").to_owned(), r))
        .collect()
}

pub(crate) fn tag_of(value: &Yaml) -> Option<(String, &Yaml)> {
    match value {
        Yaml::Tagged(tagged) => Some((
            tagged.tag.to_string().trim_start_matches('!').to_owned(),
            &tagged.value,
        )),
        _ => None,
    }
}

/// `!Ref X` (or `{Ref: X}`) → Some("X").
pub(crate) fn ref_target(value: &Yaml) -> Option<&str> {
    match tag_of(value) {
        Some((tag, inner)) if tag == "Ref" => inner.as_str(),
        _ => get(value, "Ref").and_then(Yaml::as_str),
    }
}

/// `!GetAtt X.Y`, `!GetAtt [X, Y]` or `{Fn::GetAtt: ...}` → Some("X.Y").
pub(crate) fn getatt_target(value: &Yaml) -> Option<String> {
    let inner = match tag_of(value) {
        Some((tag, inner)) if tag == "GetAtt" => inner,
        _ => get(value, "Fn::GetAtt")?,
    };
    match inner {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Sequence(parts) => {
            let parts: Option<Vec<&str>> = parts.iter().map(Yaml::as_str).collect();
            Some(parts?.join("."))
        }
        _ => None,
    }
}

/// The names a `${...}` inside a `!Sub` may resolve to: parameters, resources,
/// `Resource.Attribute` and pseudo parameters. Anything else would make the stack fail
/// to deploy (or, for an IAM variable left unescaped, not be what IAM sees).
pub(crate) fn sub_variable_is_known(t: &Yaml, name: &str) -> bool {
    if name.starts_with("AWS::") {
        return matches!(
            name,
            "AWS::AccountId"
                | "AWS::Partition"
                | "AWS::Region"
                | "AWS::StackName"
                | "AWS::StackId"
                | "AWS::URLSuffix"
        );
    }
    let base = name.split('.').next().unwrap_or(name);
    let is_param = get(t, "Parameters").and_then(|p| get(p, base)).is_some();
    let is_resource = resources(t).get(base).is_some();
    if name.contains('.') {
        is_resource
    } else {
        is_param || is_resource
    }
}

/// Turns the body of a `!Sub` into the placeholder text: `${!x}` (Fn::Sub's escape for a
/// literal) becomes `${x}`, and every unescaped `${name}` must name something the
/// template defines.
pub(crate) fn sub_text(t: &Yaml, s: &str, path: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("{path}: unclosed ${{ in !Sub {s:?}"))?;
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else {
            if !sub_variable_is_known(t, name) {
                return Err(format!(
                    "{path}: !Sub {s:?} uses ${{{name}}}, which is no parameter, resource, attribute or pseudo \
                     parameter (an IAM policy variable must be written ${{!{name}}})"
                ));
            }
            out.push_str("${");
            out.push_str(name);
            out.push('}');
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A policy document from the template in the placeholder form of infra-policies/.
pub(crate) fn as_placeholder_json(t: &Yaml, value: &Yaml, path: &str) -> Result<Json, String> {
    if let Some(target) = ref_target(value) {
        return Ok(Json::String(format!("${{{target}}}")));
    }
    if let Some(target) = getatt_target(value) {
        return Ok(Json::String(format!("${{{target}}}")));
    }
    let sub = match tag_of(value) {
        Some((tag, inner)) if tag == "Sub" => Some(inner),
        Some((tag, _)) => {
            return Err(format!(
                "{path}: intrinsic !{tag} has no placeholder form; keep policies to !Sub/!Ref/!GetAtt"
            ));
        }
        None => get(value, "Fn::Sub"),
    };
    if let Some(inner) = sub {
        let s = inner.as_str().ok_or_else(|| {
            format!("{path}: only the one-string form of !Sub is used in policies")
        })?;
        return Ok(Json::String(sub_text(t, s, path)?));
    }
    Ok(match value {
        Yaml::Null => Json::Null,
        Yaml::Bool(b) => Json::Bool(*b),
        Yaml::Number(n) => serde_json::to_value(n).map_err(|e| format!("{path}: {e}"))?,
        Yaml::String(s) => {
            if s.contains("${") {
                return Err(format!(
                    "{path}: plain string {s:?} contains ${{: CloudFormation would not substitute it; use !Sub"
                ));
            }
            Json::String(s.clone())
        }
        Yaml::Sequence(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| as_placeholder_json(t, v, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Mapping(map) => {
            let mut out = JsonMap::new();
            for (k, v) in map {
                let k = k
                    .as_str()
                    .ok_or_else(|| format!("{path}: non-string key {k:?}"))?;
                if k.starts_with("Fn::") {
                    return Err(format!("{path}: intrinsic {k} has no placeholder form"));
                }
                out.insert(
                    k.to_owned(),
                    as_placeholder_json(t, v, &format!("{path}.{k}"))?,
                );
            }
            Json::Object(out)
        }
        Yaml::Tagged(_) => unreachable!("tags handled above"),
    })
}

pub(crate) fn assert_document_equals_file(t: &Yaml, document: &Yaml, path: &str, file: &str) {
    let from_template = as_placeholder_json(t, document, path).unwrap_or_else(|e| panic!("{e}"));
    let from_file = policy_file(file);
    assert_eq!(
        from_template,
        from_file,
        "{path} differs from infra-policies/{file}\n--- template (placeholder form)\n{}\n--- file\n{}",
        serde_json::to_string_pretty(&from_template).unwrap(),
        serde_json::to_string_pretty(&from_file).unwrap()
    );
}

/// The inline policies of a role, by PolicyName.
pub(crate) fn inline_policies<'a>(t: &'a Yaml, role: &str) -> BTreeMap<String, &'a Yaml> {
    let Some(policies) = get(props(t, role), "Policies") else {
        return BTreeMap::new();
    };
    policies
        .as_sequence()
        .unwrap_or_else(|| panic!("{role}.Policies is a list"))
        .iter()
        .map(|p| {
            let name = at(p, &["PolicyName"])
                .as_str()
                .expect("PolicyName is a plain string")
                .to_owned();
            (name, at(p, &["PolicyDocument"]))
        })
        .collect()
}

/// SAM's Globals semantics: maps merge key by key (the resource wins), lists are
/// concatenated (globals first), scalars from the resource replace the global.
pub(crate) fn merge_globals(global: &Yaml, local: &Yaml) -> Yaml {
    match (global, local) {
        (Yaml::Mapping(g), Yaml::Mapping(l)) => {
            let mut out = g.clone();
            for (k, lv) in l {
                let merged = match g.get(k) {
                    Some(gv) => merge_globals(gv, lv),
                    None => lv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Yaml::Mapping(out)
        }
        (Yaml::Sequence(g), Yaml::Sequence(l)) => {
            Yaml::Sequence(g.iter().chain(l).cloned().collect())
        }
        (_, l) => l.clone(),
    }
}

/// Every function resource with its effective properties (Globals applied).
pub(crate) fn functions(t: &Yaml) -> Vec<(String, Yaml, &Yaml)> {
    let globals = get(t, "Globals")
        .and_then(|g| get(g, "Function"))
        .cloned()
        .unwrap_or(Yaml::Mapping(Mapping::new()));
    let mut out = Vec::new();
    for (id, r) in resources_of_type(t, "AWS::Serverless::Function") {
        let local = get(r, "Properties")
            .cloned()
            .unwrap_or(Yaml::Mapping(Mapping::new()));
        out.push((id, merge_globals(&globals, &local), r));
    }
    for (id, r) in resources_of_type(t, "AWS::Lambda::Function") {
        let local = get(r, "Properties")
            .cloned()
            .unwrap_or(Yaml::Mapping(Mapping::new()));
        out.push((id, local, r));
    }
    out
}

pub(crate) fn parameter<'a>(t: &'a Yaml, name: &str) -> &'a Yaml {
    at(t, &["Parameters", name])
}

pub(crate) fn strings(value: &Yaml, what: &str) -> Vec<String> {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("{what} is a list"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("{what}: {v:?} is a string"))
                .to_owned()
        })
        .collect()
}

/// A scalar as the text CloudFormation compares in `Fn::Equals` (parameters reach a
/// template as strings, `Number` ones included).
fn scalar_text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The value a parameter has in a deployment given `parameters` (the others keep their
/// default).
pub(crate) fn parameter_value(t: &Yaml, name: &str, parameters: &BTreeMap<&str, &str>) -> String {
    match parameters.get(name) {
        Some(value) => (*value).to_owned(),
        None => get(parameter(t, name), "Default")
            .and_then(scalar_text)
            .unwrap_or_default(),
    }
}

/// Whether the template's condition `name` holds for the given parameter values.
pub(crate) fn condition(t: &Yaml, name: &str, parameters: &BTreeMap<&str, &str>) -> bool {
    condition_holds(t, at(t, &["Conditions", name]), parameters)
}

/// The value of a condition expression for the given parameter values (the intrinsics
/// the template's conditions use; anything else fails the test).
pub(crate) fn condition_holds(
    t: &Yaml,
    expression: &Yaml,
    parameters: &BTreeMap<&str, &str>,
) -> bool {
    let (tag, inner) = tag_of(expression)
        .unwrap_or_else(|| panic!("a condition is an intrinsic, found {expression:?}"));
    let items = || inner.as_sequence().expect("a list of operands");
    match tag.as_str() {
        "Not" => !condition_holds(t, &items()[0], parameters),
        "And" => items().iter().all(|c| condition_holds(t, c, parameters)),
        "Or" => items().iter().any(|c| condition_holds(t, c, parameters)),
        "Condition" => condition(t, inner.as_str().expect("a condition name"), parameters),
        "Equals" => {
            let value = |v: &Yaml| -> String {
                match ref_target(v) {
                    Some(name) => parameter_value(t, name, parameters),
                    None => scalar_text(v).unwrap_or_else(|| panic!("unsupported operand {v:?}")),
                }
            };
            value(&items()[0]) == value(&items()[1])
        }
        other => panic!("condition intrinsic !{other} is not supported by this test"),
    }
}

/// `value` with every `!If` resolved and `!Ref AWS::NoValue` removed, as CloudFormation
/// does at deploy time. `!Ref` of a parameter named in `parameters` becomes its value.
pub(crate) fn resolve(t: &Yaml, value: &Yaml, parameters: &BTreeMap<&str, &str>) -> Option<Yaml> {
    if let Some(target) = ref_target(value) {
        if target == "AWS::NoValue" {
            return None;
        }
        if let Some(v) = parameters.get(target) {
            return Some(Yaml::String((*v).to_owned()));
        }
        return Some(value.clone());
    }
    if let Some((tag, inner)) = tag_of(value) {
        if tag == "If" {
            let branches = inner.as_sequence().expect("!If [condition, then, else]");
            let name = branches[0].as_str().expect("a condition name");
            let holds = condition(t, name, parameters);
            return resolve(t, &branches[if holds { 1 } else { 2 }], parameters);
        }
        return Some(value.clone());
    }
    match value {
        Yaml::Mapping(map) => {
            let mut out = Mapping::new();
            for (k, v) in map {
                if let Some(v) = resolve(t, v, parameters) {
                    out.insert(k.clone(), v);
                }
            }
            Some(Yaml::Mapping(out))
        }
        Yaml::Sequence(items) => Some(Yaml::Sequence(
            items
                .iter()
                .filter_map(|v| resolve(t, v, parameters))
                .collect(),
        )),
        other => Some(other.clone()),
    }
}

/// Parses YAML text (an expected value).
pub(crate) fn yaml(text: &str) -> Yaml {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("parse {text:?}: {e}"))
}

/// The logical ids of the resources deployed only under condition `name`.
pub(crate) fn resources_under(t: &Yaml, name: &str) -> std::collections::BTreeSet<String> {
    resources(t)
        .iter()
        .filter(|(_, r)| get(r, "Condition").and_then(Yaml::as_str) == Some(name))
        .map(|(id, _)| id.as_str().expect("logical ids are strings").to_owned())
        .collect()
}

/// A parameter's `Type`, `Default`, and its `MinValue`/`MaxValue` or `AllowedValues`,
/// as one YAML mapping to compare with the expected declaration.
pub(crate) fn declaration(t: &Yaml, name: &str) -> Yaml {
    let p = parameter(t, name);
    let mut out = Mapping::new();
    for field in [
        "Type",
        "Default",
        "MinValue",
        "MaxValue",
        "AllowedValues",
        "AllowedPattern",
    ] {
        if let Some(v) = get(p, field) {
            out.insert(field.into(), v.clone());
        }
    }
    Yaml::Mapping(out)
}
