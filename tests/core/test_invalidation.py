"""The paths a CDN must drop, as CloudFront takes them: at most 3,000 paths in progress per
distribution, so a longer list is sent in batches, each after the last one completed."""

from __future__ import annotations

import shlex

from inspector.core.invalidation import CLOUDFRONT_MAX_PATHS, Invalidation


def test_one_command_for_a_short_list() -> None:
    invalidation = Invalidation(("css/a b.css", "js/app.js", "staticfiles.json"), "/static/")
    assert invalidation.paths == (
        "/static/css/a%20b.css",
        "/static/js/app.js",
        "/static/staticfiles.json",
    )
    (command,) = invalidation.cloudfront_commands()
    words = shlex.split(command.replace('"$DISTRIBUTION_ID"', "E123"))
    assert words[:5] == ["aws", "cloudfront", "create-invalidation", "--distribution-id", "E123"]
    assert words[5] == "--paths" and words[6:] == list(invalidation.paths)


def test_a_long_list_goes_in_batches_each_waiting_for_the_last() -> None:
    names = tuple(f"js/module{i:05}.js" for i in range(CLOUDFRONT_MAX_PATHS * 2 + 1))
    invalidation = Invalidation(names, "/app/static/")
    batches = invalidation.batches()
    assert [len(b) for b in batches] == [CLOUDFRONT_MAX_PATHS, CLOUDFRONT_MAX_PATHS, 1]
    assert [p for batch in batches for p in batch] == list(invalidation.paths)
    lines = invalidation.cloudfront_commands("E2ABC")
    assert len(lines) == 6
    for batch, (create, wait) in zip(
        batches, zip(lines[::2], lines[1::2], strict=True), strict=True
    ):
        assert create.startswith("id=$(aws cloudfront create-invalidation --distribution-id E2ABC ")
        assert create.endswith(")")
        assert shlex.split(create[len("id=$(") : -1])[-len(batch) :] == list(batch)
        assert (
            wait == 'aws cloudfront wait invalidation-completed --distribution-id E2ABC --id "$id"'
        )


def test_a_distribution_id_that_is_not_a_variable_is_quoted() -> None:
    (command,) = Invalidation(("a.css",), "/static/").cloudfront_commands("E1; rm -rf /")
    assert "--distribution-id 'E1; rm -rf /' --paths" in command
