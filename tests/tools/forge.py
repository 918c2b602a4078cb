"""A stand-in for the forge that CI talks to: its git server and the parts of its REST API that CML uses.

The generated CI posts its report with the real CML (tests/tools/real_cml.py), which talks to
GitHub's or GitLab's API; neither can be had here, so this serves what CML 0.20.6 asks for (read
from its source: src/drivers/github.js, src/drivers/gitlab.js, src/cml.js, src/analytics.js) over
real HTTPS on 127.0.0.1, with a certificate authority made for the test session (`ca_file`, which
the jobs trust through NODE_EXTRA_CA_CERTS and GIT_SSL_CAINFO, as a runner trusts its forge):

- GitHub's REST API under /api/v3, where CML's GitHub driver looks for any host but github.com:
  a pull request's comments (GET, POST /repos/<owner>/<name>/issues/<number>/comments, PATCH
  /repos/<owner>/<name>/issues/comments/<id>), the pull requests of a commit
  (GET /repos/<owner>/<name>/commits/<sha>/pulls) and a user (GET /users/<login>: CML's telemetry
  asks who the actor is).
- GitLab's REST API under /api/v4: GET /version (how CML finds the API), a merge request's notes
  (GET, POST /projects/<id>/merge_requests/<iid>/notes, PUT .../notes/<id>), the merge requests of
  a commit, and uploads (POST /projects/<id>/uploads; GET /<project>/uploads/<secret>/<file> serves
  them back, which is where a note's relative image link leads).
- Each project's git repository (a bare repository on disk), through git's own smart HTTP server,
  `git http-backend`: CI clones from here and pushes release tags here, so CML finds the forge
  where a runner's checkout points (its `origin`), as on GitHub and GitLab. Pushes need
  credentials, as on a forge: without them the answer is 401, and git retries with the URL's.

Every request is recorded (`requests`: method, path, headers, body) and comments are kept per
pull/merge request as the forge keeps them, so tests assert on what CML sent, not on its output.
"""

import base64
import datetime
import email.parser
import email.policy
import ipaddress
import itertools
import json
import os
import re
import ssl
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

GIT_SERVICES = ("git-upload-pack", "git-receive-pack")


# --- The session's certificates ----------------------------------------------------------
def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A certificate authority and a server certificate it signed for 127.0.0.1 and localhost.

    Returns (ca.pem, server.pem, server-key.pem). A separate authority, not one self-signed server
    certificate, because that is what clients are built to trust: Node (NODE_EXTRA_CA_CERTS) and
    git (GIT_SSL_CAINFO) are given ca.pem, as a runner is given its company's authority.
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    valid = {"not_valid_before": now - datetime.timedelta(minutes=5), "not_valid_after": now + datetime.timedelta(days=2)}
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cookiecutter-cd4ml test forge CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(valid["not_valid_before"])
          .not_valid_after(valid["not_valid_after"])
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
              .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(valid["not_valid_before"]).not_valid_after(valid["not_valid_after"])
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                          x509.DNSName("localhost")]), critical=False)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "ca.pem", folder / "server.pem", folder / "server-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


# --- What the forge keeps ----------------------------------------------------------------
@dataclass
class Recorded:
    """One request the forge answered."""
    method: str
    path: str          # as sent, with its query string
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int = 0          # the forge's answer: its status and body
    response: bytes = b""

    @property
    def route(self) -> str:
        """The path without its query string, percent-decoded (GitLab's project ids hold %2F)."""
        return urllib.parse.unquote(self.path.split("?", 1)[0])

    @property
    def api(self) -> str | None:
        """"github" or "gitlab" for a REST API request, else None (git, uploads served back)."""
        return {"/api/v3/": "github", "/api/v4/": "gitlab"}.get(self.route[:8])

    @property
    def git_service(self) -> str | None:
        """git-upload-pack (clone, fetch) or git-receive-pack (push) for a git request, else None."""
        query = urllib.parse.parse_qs(self.path.partition("?")[2]).get("service", [""])[0]
        return next((service for service in GIT_SERVICES if self.route.endswith("/" + service) or query == service),
                    None)

    @property
    def user(self) -> str | None:
        """The user name of HTTP basic credentials, as git sends them."""
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        return base64.b64decode(value).decode().partition(":")[0]

    def json(self):
        return json.loads(self.body)

    def answer(self):
        """The forge's answer, read as JSON."""
        return json.loads(self.response)

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True))

    def summary(self) -> dict:
        """The request and answer as one JSON-able line, for a test's record (git's pack data left out)."""
        shown = lambda data: data.decode(errors="replace") if self.api else f"<{len(data)} bytes>"  # noqa: E731
        return {"method": self.method, "path": self.path, "user_agent": self.headers.get("user-agent"),
                "body": shown(self.body), "status": self.status, "response": shown(self.response)}


def write_log(requests: list[Recorded], path: Path) -> None:
    """Write what the forge received (one JSON line per request) where a failing test's reader finds it."""
    path.write_text("".join(json.dumps(request.summary()) + "\n" for request in requests))


@dataclass
class Comment:
    """A pull request comment (GitHub) or merge request note (GitLab)."""
    id: int
    body: str
    author: str
    edits: int = 0  # how often it was updated


@dataclass
class Request:
    """A pull request (GitHub) or merge request (GitLab), from `source` into `target`."""
    number: int
    source: str
    target: str
    comments: list[Comment] = field(default_factory=list)


@dataclass
class Project:
    path: str      # owner/name (GitHub), group/project (GitLab)
    repository: Path  # the bare git repository
    requests: dict[int, Request] = field(default_factory=dict)


class Forge:
    """The stand-in's state and its HTTPS server (see the module's docstring)."""

    def __init__(self, folder: Path):
        self.ca_file, certificate, key = make_certificates(folder / "tls")
        self.projects: dict[str, Project] = {}
        self.requests: list[Recorded] = []
        self.uploads: dict[str, bytes] = {}  # "<project>/uploads/<secret>/<file name>" -> content
        self._lock = threading.Lock()
        self._ids = itertools.count(1001)  # comment ids, unique across the forge as on GitHub and GitLab
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True,
                                                  do_handshake_on_connect=False)
        self._server.daemon_threads = True
        self._server.forge = self  # type: ignore[attr-defined]
        self.url = f"https://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="forge", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # What the tests set up and read.
    def add_project(self, path: str, repository: Path) -> Project:
        self.projects[path] = Project(path, repository)
        return self.projects[path]

    def open_request(self, project: str, number: int, source: str, target: str = "main") -> Request:
        """Open pull/merge request `number` from branch `source`: the forge answers for it from now on."""
        request = Request(number, source, target)
        self.projects[project].requests[number] = request
        return request

    def add_comment(self, project: str, number: int, body: str, author: str) -> Comment:
        with self._lock:
            comment = Comment(next(self._ids), body, author)
            self.projects[project].requests[number].comments.append(comment)
        return comment

    def update_comment(self, request: Request, comment_id: int, body: str) -> Comment | None:
        """Replace the body of `request`'s comment `comment_id`, as an edit on the forge does (None: no such comment)."""
        with self._lock:
            comment = next((comment for comment in request.comments if comment.id == comment_id), None)
            if comment is not None:
                comment.body, comment.edits = body, comment.edits + 1
        return comment

    def comments(self, project: str, number: int) -> list[Comment]:
        return list(self.projects[project].requests[number].comments)

    def repository_url(self, project: str, credentials: str = "") -> str:
        """The URL CI clones `project` from; `credentials` ("user:password") as a GitLab runner embeds its job's."""
        return self.url.replace("https://", f"https://{credentials}@" if credentials else "https://") + f"/{project}"

    def environment(self) -> dict[str, str]:
        """What a runner's machine needs to trust this forge: Node (CML) and git."""
        return {"NODE_EXTRA_CA_CERTS": str(self.ca_file), "GIT_SSL_CAINFO": str(self.ca_file)}

    def clone(self, project: str, branch: str, destination: Path, shallow: bool, credentials: str = "") -> Path:
        """Check `branch` out over HTTPS as CI does: GitLab shallow and one branch, GitHub (fetch-depth: 0) all."""
        depth = ["--depth", "1", "--single-branch"] if shallow else []
        result = subprocess.run(["git", "clone", "--quiet", *depth, "--branch", branch,
                                 self.repository_url(project, credentials), str(destination)],
                                capture_output=True, text=True, env={**os.environ, **self.environment()})
        assert result.returncode == 0, f"cloning {branch} of {project} from the forge failed:\n{result.stderr}"
        return destination

    def get(self, path: str) -> tuple[int, bytes]:
        """GET `path` from the forge as a reader's browser would (the status and the body)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        try:
            with urllib.request.urlopen(self.url + path, context=context, timeout=30) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def requests_since(self, start: int) -> list[Recorded]:
        with self._lock:
            return list(self.requests[start:])

    # Answering.
    def answer(self, recorded: Recorded) -> tuple[int, dict, bytes]:
        """(status, headers, body) of the forge's answer to `recorded`."""
        route = recorded.route
        if recorded.api == "github":
            return self._github(recorded, route.removeprefix("/api/v3"))
        if recorded.api == "gitlab":
            return self._gitlab(recorded, route.removeprefix("/api/v4"))
        for project in self.projects.values():
            for prefix in (f"/{project.path}.git/", f"/{project.path}/"):
                if route.startswith(prefix):
                    rest = route.removeprefix(prefix)
                    if rest.startswith("uploads/") and recorded.method == "GET":
                        content = self.uploads.get(f"{project.path}/{rest}")
                        return (200, {"Content-Type": "image/png"}, content) if content is not None else _missing()
                    return self._git(recorded, project, rest)
        return _missing()

    def _request_of(self, project_path: str, number: str) -> Request | None:
        project = self.projects.get(project_path)
        return project.requests.get(int(number)) if project and number.isdigit() else None

    def _github(self, recorded: Recorded, route: str) -> tuple[int, dict, bytes]:
        method = recorded.method
        if match := re.fullmatch(r"/users/([^/]+)", route):
            return _json({"login": match.group(1), "id": 1, "name": match.group(1), "type": "User"})
        if not recorded.headers.get("authorization"):
            return _json({"message": "Requires authentication"}, 401)
        if not (match := re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)", route)) or match.group(1) not in self.projects:
            return _json({"message": "Not Found"}, 404)
        project, rest = self.projects[match.group(1)], match.group(2)
        html = f"{self.url}/{project.path}"
        if match := re.fullmatch(r"/commits/([0-9a-f]{7,40})/pulls", rest):
            return _json([{"number": request.number, "html_url": f"{html}/pull/{request.number}",
                           "state": "open", "head": {"ref": request.source}, "base": {"ref": request.target}}
                          for request in self._requests_with_commit(project, match.group(1))])
        if match := re.fullmatch(r"/issues/(\d+)/comments", rest):
            request = self._request_of(project.path, match.group(1))
            if request is None:
                return _json({"message": "Not Found"}, 404)
            if method == "GET":  # oldest first, GitHub's order (one page of 30: CML asks for one page)
                return _json([_github_comment(html, request, comment) for comment in request.comments[:30]])
            if method == "POST":
                comment = self.add_comment(project.path, request.number, recorded.json()["body"], "github-actions[bot]")
                return _json(_github_comment(html, request, comment), 201)
        if (match := re.fullmatch(r"/issues/comments/(\d+)", rest)) and method == "PATCH":
            for request in project.requests.values():
                if edited := self.update_comment(request, int(match.group(1)), recorded.json()["body"]):
                    return _json(_github_comment(html, request, edited))
            return _json({"message": "Not Found"}, 404)
        return _json({"message": "Not Found"}, 404)

    def _gitlab(self, recorded: Recorded, route: str) -> tuple[int, dict, bytes]:
        method = recorded.method
        if not recorded.headers.get("private-token"):
            return _json({"message": "401 Unauthorized"}, 401)
        if route == "/version":
            return _json({"version": "17.5.0", "revision": "stand-in"})
        # Project ids come URL-encoded (group%2Fproject); `route` is decoded, so match the longest known path.
        project = next((project for path, project in sorted(self.projects.items(), key=lambda item: -len(item[0]))
                        if route.startswith(f"/projects/{path}/")), None)
        if project is None:
            return _json({"message": "404 Project Not Found"}, 404)
        rest = route.removeprefix(f"/projects/{project.path}")
        web = f"{self.url}/{project.path}"
        if match := re.fullmatch(r"/repository/commits/([0-9a-f]{7,40})/merge_requests", rest):
            return _json([{"iid": request.number, "web_url": f"{web}/-/merge_requests/{request.number}",
                           "state": "opened", "source_branch": request.source, "target_branch": request.target}
                          for request in self._requests_with_commit(project, match.group(1))])
        if rest == "/uploads" and method == "POST":
            if (upload := _multipart_file(recorded)) is None:
                return _json({"error": "file is missing"}, 400)
            name, content = upload
            secret = uuid.uuid4().hex
            url = f"/uploads/{secret}/{name}"
            with self._lock:
                self.uploads[f"{project.path}{url}"] = content
            return _json({"id": len(self.uploads), "alt": name.rsplit(".", 1)[0], "url": url,
                          "full_path": f"/-/project/1/uploads/{secret}/{name}",
                          "markdown": f"![{name.rsplit('.', 1)[0]}]({url})"}, 201)
        if match := re.fullmatch(r"/merge_requests/(\d+)/notes(?:/(\d+))?", rest):
            request = self._request_of(project.path, match.group(1))
            if request is None:
                return _json({"message": "404 Not found"}, 404)
            if match.group(2) is None and method == "GET":  # newest first: GitLab's default order
                return _json([_gitlab_note(request, note) for note in reversed(request.comments)][:20])
            if match.group(2) is None and method == "POST":
                note = self.add_comment(project.path, request.number, recorded.form()["body"], "project_bot")
                return _json(_gitlab_note(request, note), 201)
            if match.group(2) is not None and method == "PUT":
                if edited := self.update_comment(request, int(match.group(2)), recorded.form()["body"]):
                    return _json(_gitlab_note(request, edited))
                return _json({"message": "404 Not found"}, 404)
        return _json({"message": "404 Not Found"}, 404)

    def _requests_with_commit(self, project: Project, sha: str) -> list[Request]:
        """The open requests whose source branch holds commit `sha`."""
        def holds(branch: str) -> bool:
            return subprocess.run(["git", "merge-base", "--is-ancestor", sha, f"refs/heads/{branch}"],
                                  cwd=project.repository, capture_output=True).returncode == 0
        return [request for request in project.requests.values() if holds(request.source)]

    def _git(self, recorded: Recorded, project: Project, rest: str) -> tuple[int, dict, bytes]:
        """Hand a git request to `git http-backend` (CGI), which serves the bare repository."""
        if recorded.git_service == "git-receive-pack" and recorded.user is None:
            return 401, {"WWW-Authenticate": 'Basic realm="forge stand-in"', "Content-Type": "text/plain"}, b"push needs credentials\n"
        environment = {
            "PATH": os.environ["PATH"], "GIT_PROJECT_ROOT": str(project.repository.parent), "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": f"/{project.repository.name}/{rest}", "REQUEST_METHOD": recorded.method,
            "QUERY_STRING": recorded.path.partition("?")[2], "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": recorded.headers.get("content-type", ""), "CONTENT_LENGTH": str(len(recorded.body)),
            **({"REMOTE_USER": recorded.user} if recorded.user else {}),
            **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in recorded.headers.items()
               if name not in ("content-type", "content-length", "authorization", "transfer-encoding")},
        }
        result = subprocess.run(["git", "http-backend"], input=recorded.body, env=environment, capture_output=True)
        head, _, body = result.stdout.partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n") if ": " in line)
        status = int(headers.pop("Status", "200").split()[0])
        return status, headers, body


def _missing() -> tuple[int, dict, bytes]:
    return 404, {"Content-Type": "text/plain"}, b"not found\n"


def _json(value, status: int = 200) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(value).encode()


def _github_comment(html: str, request: Request, comment: Comment) -> dict:
    return {"id": comment.id, "body": comment.body, "user": {"login": comment.author, "type": "Bot"},
            "html_url": f"{html}/pull/{request.number}#issuecomment-{comment.id}",
            "issue_url": f"{html}/issues/{request.number}"}


def _gitlab_note(request: Request, note: Comment) -> dict:
    return {"id": note.id, "body": note.body, "author": {"username": note.author}, "system": False,
            "noteable_type": "MergeRequest", "noteable_iid": request.number}


def _multipart_file(recorded: Recorded) -> tuple[str, bytes] | None:
    """The `file` part of a multipart/form-data body, as GitLab reads it: its file name and content."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {recorded.headers.get('content-type', '')}\r\n\r\n".encode() + recorded.body)
    for part in message.iter_parts() if message.is_multipart() else []:
        name, content = part.get_filename(), part.get_payload(decode=True)
        if part.get_param("name", header="content-disposition") == "file" and name and isinstance(content, bytes):
            return name, content
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as forges answer; every answer has a Content-Length
    server_version = "forge-stand-in"

    def setup(self) -> None:
        self.request.do_handshake()  # here, in this request's thread, not in the server's accept loop
        super().setup()

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":  # git and Node stream large bodies
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        forge: Forge = self.server.forge  # type: ignore[attr-defined]
        recorded = Recorded(self.command, self.path, {name.lower(): value for name, value in self.headers.items()},
                            self._body())
        with forge._lock:
            forge.requests.append(recorded)
        try:
            status, headers, body = forge.answer(recorded)
        except Exception as error:  # a stand-in bug: answer 500 and say so, as the test will show
            status, headers, body = 500, {"Content-Type": "text/plain"}, f"forge stand-in: {error!r}\n".encode()
        recorded.status, recorded.response = status, body
        self.send_response(status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        pass  # every request is in forge.requests


@pytest.fixture(scope="session")
def forge(tmp_path_factory) -> Iterator[Forge]:
    """One forge stand-in per test session (registered as a plugin by conftest.py)."""
    server = Forge(tmp_path_factory.mktemp("forge"))
    yield server
    server.close()
