"""schemathesis hooks for tests/contract/schemathesis.sh.

openapi.yaml documents the routes as API Gateway serves them (`/read-file`), while
`cargo lambda watch` serves a function only at `/lambda-url/<function>/`, with the
trailing slash (without it, it answers 404 itself, before any function runs). This
adds the slash to every path of the document as schemathesis loads it, so the
document on disk stays the deployed API's and the requests reach the local functions.
"""

import schemathesis


@schemathesis.hook
def before_load_schema(context, raw_schema):
    paths = raw_schema.get("paths", {})
    for path in list(paths):
        if not path.endswith("/"):
            paths[path + "/"] = paths.pop(path)
