//! The HTTP API: the authorizer on every route but the page's, CORS, parameters and
//! outputs.

use std::collections::BTreeSet;

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use super::support::*;

/// The web page's routes: the only ones without the JWT authorizer.
const PUBLIC_ROUTES: [&str; 2] = ["GET / -> WebFunction", "GET /assets/{name} -> WebFunction"];

#[test]
fn every_route_but_the_web_pages_requires_the_cognito_jwt_authorizer() {
    let t = template();
    let apis = resources_of_type(&t, "AWS::Serverless::HttpApi");
    assert_eq!(apis.len(), 1, "one HTTP API");
    let (api_id, api) = &apis[0];
    for raw in [
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Api",
        "AWS::Serverless::Api",
        "AWS::ApiGateway::RestApi",
    ] {
        assert!(
            resources_of_type(&t, raw).is_empty(),
            "no {raw}: every route comes from the one SAM HTTP API"
        );
    }
    let auth = at(api, &["Properties", "Auth"]);
    let default = at(auth, &["DefaultAuthorizer"])
        .as_str()
        .expect("DefaultAuthorizer is a name")
        .to_owned();
    let authorizer = at(auth, &["Authorizers", &default]);
    assert_eq!(
        at(authorizer, &["IdentitySource"]).as_str(),
        Some("$request.header.Authorization"),
        "the JWT comes from the Authorization header"
    );
    assert!(
        get(authorizer, "AuthorizationScopes").is_none(),
        "no scopes: an ID token carries none, so any scope would reject every caller"
    );
    assert!(
        get(authorizer, "FunctionArn").is_none(),
        "a JWT authorizer, not a Lambda authorizer"
    );
    let jwt = at(authorizer, &["JwtConfiguration"]);
    let issuer = get(jwt, "issuer")
        .or_else(|| get(jwt, "Issuer"))
        .expect("JwtConfiguration.issuer");
    assert_eq!(
        as_placeholder_json(&t, issuer, "issuer").unwrap(),
        Json::String("https://${UserPool.ProviderName}".into()),
        "issuer = https://cognito-idp.<region>.amazonaws.com/<user pool id>"
    );
    let audience = get(jwt, "audience")
        .or_else(|| get(jwt, "Audience"))
        .expect("JwtConfiguration.audience");
    assert_eq!(
        as_placeholder_json(&t, audience, "audience").unwrap(),
        serde_json::json!(["${UserPoolClient}"]),
        "audience = this app client only"
    );
    assert!(
        get(auth, "EnableIamAuthorizer").is_none(),
        "no IAM authorizer alongside"
    );

    let mut routes = BTreeSet::new();
    let mut public = BTreeSet::new();
    for (id, effective, _) in functions(&t) {
        let events = get(&effective, "Events")
            .and_then(Yaml::as_mapping)
            .cloned()
            .unwrap_or_default();
        if id == "UsageFunction" {
            // Not behind the API: schedules only (S3 invokes it through the bucket's
            // notification, pinned in usage.rs).
            for (name, event) in &events {
                assert_eq!(
                    at(event, &["Type"]).as_str(),
                    Some("Schedule"),
                    "{id}.{}: the usage function has no route",
                    name.as_str().unwrap_or("?")
                );
            }
            assert!(
                get(&effective, "FunctionUrlConfig").is_none(),
                "{id}: no function URL"
            );
            continue;
        }
        for (name, event) in &events {
            let name = name.as_str().unwrap_or("?");
            let ty = at(event, &["Type"]).as_str().unwrap_or("?");
            assert_eq!(
                ty, "HttpApi",
                "{id}.{name}: only HttpApi events (an Api event would bypass the JWT authorizer)"
            );
            let p = at(event, &["Properties"]);
            assert_eq!(
                get(p, "ApiId").and_then(ref_target),
                Some(api_id.as_str()),
                "{id}.{name}: ApiId must be the HTTP API with the authorizer (without it SAM makes an implicit API with no auth)"
            );
            let method = at(p, &["Method"])
                .as_str()
                .expect("Method")
                .to_ascii_uppercase();
            let path = at(p, &["Path"]).as_str().expect("Path").to_owned();
            let route = format!("{method} {path} -> {id}");
            if let Some(event_auth) = get(p, "Auth") {
                let authorizer = get(event_auth, "Authorizer").and_then(Yaml::as_str);
                if authorizer == Some("NONE") {
                    public.insert(route.clone());
                } else {
                    assert_eq!(
                        authorizer,
                        Some(default.as_str()),
                        "{id}.{name}: the route overrides the authorizer"
                    );
                }
                assert!(
                    get(event_auth, "AuthorizationScopes").is_none(),
                    "{id}.{name}: no scopes"
                );
            }
            assert!(routes.insert(route), "{id}.{name}: duplicate route");
        }
    }
    let expected: BTreeSet<String> = [
        "GET /read-file -> ReadFileFunction",
        "PUT /write-file -> WriteFileFunction",
        "POST /write-file -> WriteFileFunction",
        "GET /write-file -> WriteFileFunction",
        "DELETE /write-file -> WriteFileFunction",
        "GET /list -> ListFunction",
        "DELETE /delete -> DeleteFunction",
    ]
    .into_iter()
    .chain(PUBLIC_ROUTES)
    .map(String::from)
    .collect();
    assert_eq!(
        routes, expected,
        "exactly the routes of the contract (write-file: PUT a small file, POST start or \
         complete a multipart upload, GET resume it, DELETE abort it; the web page)"
    );
    assert_eq!(
        public,
        PUBLIC_ROUTES.into_iter().map(String::from).collect(),
        "only the web page's routes go without the JWT authorizer (Auth.Authorizer NONE)"
    );
}

#[test]
fn parameters_defaults_match_the_contract() {
    let t = template();
    let p = at(&t, &["Parameters"]);
    assert_eq!(
        at(p, &["HomePrefix", "Default"]).as_str(),
        Some("home"),
        "HomePrefix defaults to home"
    );
    assert_eq!(
        at(p, &["UserCheckTtlSecs", "Default"]).as_u64(),
        Some(60),
        "USER_CHECK_TTL_SECS defaults to 60"
    );
    assert!(
        get(p, "NoncurrentVersionExpirationDays").is_some(),
        "noncurrent version expiry is a parameter"
    );
    assert!(
        get(p, "CallbackUrls").is_some(),
        "optional hosted-UI callback URLs are a parameter"
    );
    // HomePrefix ends up inside IAM ARNs and conditions: it must not be able to carry a
    // wildcard, a policy variable or a slash at either end.
    // Segments of letters, digits, `_` and `-` joined by `/`: no `*`, `?`, `$`, `{`, `.`.
    let pattern = at(p, &["HomePrefix", "AllowedPattern"])
        .as_str()
        .expect("HomePrefix has an AllowedPattern");
    assert_eq!(
        pattern, "^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$",
        "HomePrefix must stay limited to [A-Za-z0-9_-] segments (it lands in IAM ARNs and conditions)"
    );
}

#[test]
fn outputs_are_the_ones_the_e2e_suite_reads() {
    let t = template();
    let outputs: BTreeSet<&str> = at(&t, &["Outputs"])
        .as_mapping()
        .unwrap()
        .keys()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(
        outputs,
        BTreeSet::from([
            "ApiUrl",
            "Region",
            "UserPoolId",
            "UserPoolClientId",
            "IdentityPoolId",
            "BucketName",
            "WebUrl",
            "AlarmTopicArn",
            // an operator's recount (docs/quotas.md) and the e2e suite's usage checks
            "UsageFunctionName",
            "UsageTableName",
            // the operator commands' user changes (make disable-user) and the e2e
            // suite's identity_id claim checks
            "IdentityTableName",
            "UserChangesTableName"
        ]),
        "stack outputs"
    );
    // Only with AlarmEmail: the alarms' topic.
    assert_eq!(
        at(&t, &["Outputs", "AlarmTopicArn", "Condition"]).as_str(),
        Some("HasAlarms")
    );
}

#[test]
fn api_cors_allows_every_method_of_the_routes() {
    let t = template();
    let apis = resources_of_type(&t, "AWS::Serverless::HttpApi");
    let (_, api) = &apis[0];
    let cors = at(api, &["Properties", "CorsConfiguration"]);
    assert_eq!(
        ref_target(at(cors, &["AllowOrigins"])),
        Some("CorsAllowedOrigins")
    );
    let methods: BTreeSet<String> = strings(at(cors, &["AllowMethods"]), "AllowMethods")
        .into_iter()
        .collect();
    for method in ["GET", "PUT", "POST", "DELETE", "OPTIONS"] {
        assert!(
            methods.contains(method),
            "{method} is allowed by the API's CORS"
        );
    }
}

#[test]
fn api_cors_exposes_the_headers_clients_read() {
    let t = template();
    let apis = resources_of_type(&t, "AWS::Serverless::HttpApi");
    let (_, api) = &apis[0];
    let cors = at(api, &["Properties", "CorsConfiguration"]);
    let exposed: BTreeSet<String> = strings(at(cors, &["ExposeHeaders"]), "ExposeHeaders")
        .into_iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    // etag and last-modified for conditional writes and caching, retry-after on 503,
    // x-version-id: the version a read served or a delete made (a browser cannot read
    // a response header the API does not expose).
    assert_eq!(
        exposed,
        BTreeSet::from(["etag", "last-modified", "retry-after", "x-version-id"].map(String::from)),
        "the API's CORS exposes exactly these headers"
    );
}
