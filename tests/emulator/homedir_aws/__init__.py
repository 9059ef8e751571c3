"""homedir's local AWS emulator: moto in server mode plus a few corrections, into which
template.yaml itself is deployed as a CloudFormation stack (tests/emulator/deploy.py).

moto (pinned 5.2.5) is good enough for user pools and S3, but its Cognito Identity
accepts anything, and it enforces no IAM. homedir's security rests on exactly those two
services, so local tests would pass code that real AWS rejects. This package runs moto's
own WSGI app and corrects, as little as possible; each correction keeps the letter it
has always had (tests and comments refer to them), and lives in the module named:

a. GetId: a stable Identity ID per user, Logins verified .......... cognito.py
b. GetCredentialsForIdentity: fresh, expiring keys per identity ... cognito.py
c. S3 authentication and authorization by the documents the stack deployed (sigv4.py:
   signatures; s3auth.py: operation -> IAM actions and context, the role's
   documents (managed policies by their current default version, within
   the role's permissions boundary) and the bucket's, read from IAM and
   S3; iam.py: the policy evaluator) ............................. s3gate.py, s3.py
d. Call log, and the control endpoints ........................... calls.py, app.py
e. Start-up: state files, the ready line, clean stop ............. app.py
f. Form-typed uploads stored as sent ............................. s3.py
g. Fault injection ............................................... faults.py
h. DeleteIdentities (moto lacks it) .............................. cognito.py
i. Atomic conditional writes (KeyLocks) .......................... s3.py
j. Multipart uploads: an upload ID names one upload of one key ... multipart.py
k. ListParts answers with the root element ListPartsResult ....... multipart.py
l. Versions, delete markers and conditions ....................... versions.py
m. Ranged GetObject reads only the range ......................... s3.py
n. CORS for Cognito and S3 ....................................... cors.py
o. Folders of deleted files are not listed ....................... versions.py
p. User pool codes: sign-up, password reset, attribute verification
   (kept for tests, checked, expiring, rate-limited), passwords naming
   the broken rule, PreventUserExistenceErrors ................... codes.py, userpools.py
q. TOTP MFA: per-user secrets, RFC 6238 codes, the MFA challenges,
   expiring sessions ............................................. totp.py
r. RevokeToken (moto lacks it) ................................... revocation.py
s. App clients write only their WriteAttributes, ID tokens carry only
   their ReadAttributes, values keep to the schema ............. attributes.py
t. CompleteMultipartUpload checks x-amz-mp-object-size ........... multipart.py
u. response-* header overrides on HEAD and ranged GET ............ overrides.py
v. Listings read only the keys under their prefix;
   ListObjectVersions copies no version, no body ................ listings.py
w. Saved state: what the emulator holds, kept across a restart
   (--saved-state FILE, make dev) ................................ saved.py, app.py
x. User pool and app client settings applied: case-insensitive
   names, deletion protection, auth flows, token lifetimes,
   temporary passwords, e-mail changes verified first ............ poolsettings.py, codes.py
y. Identity pool roles and principal tags: credentials are the
   pool's role's (trust policy checked), tagged with mapped
   claims ......................................................... identitypools.py, cognito.py
z. CloudFormation: a stack of the template's resources, a model for
   each type and property it uses, anything else refused by name,
   updates in place ... cfn.py, cfn_cognito.py, cfn_dynamodb.py, cfn_events.py, cfn_iam.py,
   cfn_lambda.py, cfn_s3.py, cfn_secrets.py
aa. Object Ownership: a BucketOwnerEnforced bucket refuses ACLs other
   than bucket-owner-full-control, and every ACL change ......... ownership.py, s3.py
ab. Lambda: the stack's functions by name and ARN, run by
   homedir-gateway, invoked through Invoke and by services as their
   resource-based policies allow ................................. lambdas.py
ac. Execution roles: calls to services other than S3 decided by the
   caller's role's documents (DynamoDB, IAM, Lambda) ............. servicegate.py
ad. S3 event notifications delivered to Lambda functions, every
   version created or removed ..................................... s3events.py
ae. Lifecycle rules run on demand, each removal an event ......... s3events.py
af. Cognito's pre token generation trigger (V1_0) runs, through
   the function's policy, before every token the pool issues ..... pretoken.py
ag. User pool calls are CloudTrail "AWS API Call via CloudTrail"
   events on the default bus, delivered to the Lambda targets of
   matching EventBridge rules ...................................... cloudtrail.py

Shared plumbing: request.py (which service, operation, credentials, bucket and key a
request is), s3errors.py (S3's error codes and XML shape), wsgi.py (reading the environ,
holding an answer back); userpools.py also finds user pools, clients, users and tokens
for p-s and installs them into moto. Each module's docstring says what moto does and
what AWS does instead; every correction names the AWS page it follows (d, e and w are
the emulator's own tooling, not AWS behaviours).
tests/emulator/README.md has the table of behaviours and pages.

Run it with tests/emulator/homedir_emulator.py (app.main).
"""
