"""Whatever the monitor prints about a tracking server must be safe to paste into a public CI log."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops.core.redact import safe_uri, scrub

# Markers no scheme, host or port below contains, so finding one in the output is a leak.
USER, PASSWORD, QUERY, FRAGMENT = "qjzuser", "qjzpass", "qjzquery", "qjzfrag"
MARKERS = (USER, PASSWORD, QUERY, FRAGMENT)


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        (
            f"http://{USER}:{PASSWORD}@mlflow.example.com:5000/api?token={QUERY}#{FRAGMENT}",
            "http://mlflow.example.com:5000",
        ),
        (f"https://{USER}:{PASSWORD}@mlflow.example.com/?{QUERY}=1", "https://mlflow.example.com"),
        (f"https://{USER}@mlflow.example.com:443#{FRAGMENT}", "https://mlflow.example.com:443"),
        (f"https://{USER}:{PASSWORD}@MLflow.Example.COM:8443", "https://mlflow.example.com:8443"),
        (f"HTTPS://{USER}:{PASSWORD}@host:1", "https://host:1"),
        (f"http://{USER}:p@ss:{PASSWORD}@host:5000", "http://host:5000"),
        (f"http://{USER}:{PASSWORD}@[::1]:5000/x?{QUERY}", "http://[::1]:5000"),
        (f"http://{USER}:{PASSWORD}@[2001:db8::7]/x#{FRAGMENT}", "http://[2001:db8::7]"),
        ("http://[fe80::1%25eth0]:8080", "http://[fe80::1%25eth0]:8080"),
        (f"postgresql://{USER}:{PASSWORD}@db.internal:5432/mlflow?sslmode={QUERY}", "postgresql://db.internal:5432"),
        (f"databricks://{USER}:{PASSWORD}@workspace", "databricks://workspace"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        (f"file:///srv/mlruns?{QUERY}#{FRAGMENT}", "file:///srv/mlruns"),
        ("file:/srv/mlruns", "file:/srv/mlruns"),
        (f"file://{USER}:{PASSWORD}@nas/srv/mlruns?{QUERY}", "file://<host>/srv/mlruns"),
        (f"sqlite:///mlflow.db?{QUERY}", "sqlite:///mlflow.db"),
        (f"sqlite:mlflow.db#{FRAGMENT}", "sqlite:mlflow.db"),
        (f"http://{USER}:{PASSWORD}@/path#{FRAGMENT}", "http://<host>/path"),
        ("databricks", "databricks"),
        ("databricks-uc", "databricks-uc"),
        ("uc", "uc"),
        ("databricks-typo", "<URI without scheme>"),
        ("", "<URI without scheme>"),
        (f"//{USER}:{PASSWORD}@host:5000", "<URI without scheme>"),
        (f"http://{USER}:{PASSWORD}@[::1", "<unparsable URI>"),
        (f"http://{USER}:{PASSWORD}@host:port{QUERY}", "<unparsable URI>"),
        (f"http://{USER}:{PASSWORD}@host:99999", "<unparsable URI>"),
        (f"http://{USER}:{PASSWORD}@host:-1", "<unparsable URI>"),
    ],
)
def test_safe_uri(uri: str, shown: str) -> None:
    """Scheme, host and port only: enough to tell which server, nothing that opens it."""
    result = safe_uri(uri)
    assert result == shown
    assert not any(marker in result for marker in MARKERS)


@pytest.mark.parametrize(
    "uri",
    [
        f"{USER}:{PASSWORD}@mlflow.example.com:5000",  # MLFLOW_TRACKING_URI with the http:// forgotten
        f"http:{USER}:{PASSWORD}@mlflow.example.com",  # one typo away from http://
    ],
)
def test_safe_uri_without_authority(uri: str) -> None:
    """Mistyped URIs are exactly the ones that end up in error messages."""
    result = safe_uri(uri)
    assert not any(marker in result for marker in MARKERS), result


SECRET = st.text(alphabet="qxjzQXJZ", min_size=6, max_size=20)


@st.composite
def uris(draw: st.DrawFn) -> tuple[str, list[str], str | None]:
    """A well-formed URI full of secrets, the secrets, and what safe_uri should show (None: not pinned)."""
    scheme = draw(st.sampled_from(["http", "https", "postgresql", "mysql+pymysql", "file"]))
    host = draw(st.sampled_from(["mlflow.example.com", "10.0.0.7", "[::1]", "[2001:db8::7]", "LocalHost"]))
    port = draw(st.none() | st.integers(1, 65535))
    path = draw(st.sampled_from(["", "/", "/api/2.0", "/a/b"]))
    user, password, query, fragment = (draw(SECRET) for _ in range(4))
    userinfo = draw(st.sampled_from([f"{user}:{password}", user, f"{user}:"]))
    netloc = f"{userinfo}@{host}" + (f":{port}" if port else "")
    expected = None if scheme == "file" else f"{scheme}://{host.lower()}" + (f":{port}" if port else "")
    return f"{scheme}://{netloc}{path}?{query}#{fragment}", [user, password, query, fragment], expected


@settings(max_examples=300, database=None, deadline=None)
@given(case=uris())
def test_safe_uri_never_leaks(case: tuple[str, list[str], str | None]) -> None:
    """Any well-formed URI: user, password, query and fragment never appear, in any letter case."""
    uri, secrets, expected = case
    result = safe_uri(uri)
    for secret in secrets:
        assert secret.lower() not in result.lower()
    if expected is not None:
        assert result == expected


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("token=s3cr3t-token; again s3cr3t-token", ["s3cr3t-token"], "token=***; again ***"),
        ("user alice, pass hunter22", ["alice", "hunter22"], "user ***, pass ***"),
        ("key abcdefgh", ["abcd", "abcdefgh"], "key ***"),
        ("key abcdefgh", ["abcdefgh", "abcd"], "key ***"),
        ("abc is short", ["abc", "ab", "a", ""], "abc is short"),
        ("abcd is four", ["abcd"], "*** is four"),
        ("nothing here", [], "nothing here"),
        ("x 1234 y 1234", ["1234", "1234"], "x *** y ***"),
        ("Hunter22 is not hunter22", ["hunter22"], "Hunter22 is not ***"),
    ],
)
def test_scrub(text: str, secrets: list[str], expected: str) -> None:
    """Longest first, so a secret containing another is hidden whole, not left as '***' plus a tail."""
    assert scrub(text, secrets) == expected


def test_scrub_takes_a_one_shot_iterable() -> None:
    """Callers pass generators over os.environ; those can be consumed only once."""
    secrets = (value for value in ["password1", "token-xyz"])
    assert scrub("password1 token-xyz", secrets) == "*** ***"


def test_scrub_overlapping_secrets() -> None:
    """A username and password can overlap in text (e.g. 'adminAAAA' + 'AAAAsecret'); neither may survive."""
    result = scrub("login adminAAAAsecret99", ["adminAAAA", "AAAAsecret99"])
    assert "admin" not in result and "secret99" not in result, result
