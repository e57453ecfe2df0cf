# Copyright (c) semihand_mmpose authors. All rights reserved.
"""The README and docs/ point at things that exist: every relative link reaches its file and
heading, and every repository path they name (a config, a tool, a figure) is in the checkout.

The docs cross-link a few hundred times between the README's summary and docs/results.md's full
record; a renamed heading or a moved config would otherwise leave a dead link unnoticed."""
import glob
import os.path as osp
import re
import sys
from typing import List, Set, Tuple

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DOCS = ['README.md'] + sorted(
    osp.relpath(path, ROOT) for path in glob.glob(osp.join(ROOT, 'docs', '*.md')))
#: a fenced code block: neither its ``#`` lines are headings nor its brackets links
FENCE = re.compile(r'^```.*?^```', re.S | re.M)
LINK = re.compile(r'\]\(([^)\s]+)\)')
#: a path into the repository as the docs name one (run outputs under work_dirs/ are not in it)
REPO_PATH = re.compile(
    r'(?<![\w/.])(?:configs|tools|semihand_mmpose|tests|docs)/[\w./-]+\.(?:py|md|png|jpg|sh)\b')


def _prose(rel_path: str) -> str:
    with open(osp.join(ROOT, rel_path), encoding='utf-8') as f:
        return FENCE.sub('', f.read())


def github_anchor(heading: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r'[^\w\- ]', '', heading.strip().lower()).replace(' ', '-')


def anchors(rel_path: str) -> Set[str]:
    """The fragments of every heading of ``rel_path``."""
    return {
        github_anchor(m.group(1))
        for m in re.finditer(r'^#+\s+(.*)$', _prose(rel_path), re.M)
    }


def dead_links(rel_path: str) -> List[Tuple[str, str]]:
    """``(link, why)`` for each relative link in ``rel_path`` that reaches nothing."""
    dead, headings = [], {}  # each linked file's headings, read once
    for link in LINK.findall(_prose(rel_path)):
        if re.match(r'[a-z]+:', link):
            continue
        target, _, fragment = link.partition('#')
        path = osp.normpath(osp.join(osp.dirname(rel_path), target)) if target else rel_path
        if not osp.exists(osp.join(ROOT, path)):
            dead.append((link, f'no file {path}'))
        elif fragment and path.endswith('.md'):
            if path not in headings:
                headings[path] = anchors(path)
            if fragment not in headings[path]:
                dead.append((link, f'no heading #{fragment} in {path}'))
    return dead


def test_github_anchor_matches_githubs_slugs():
    assert github_anchor("The student's view, and a tuned setting") == \
        'the-students-view-and-a-tuned-setting'
    assert github_anchor('Benchmarks (2 CPU cores, this project\'s machine)') == \
        'benchmarks-2-cpu-cores-this-projects-machine'
    assert github_anchor('Held-out hands, five stage-1 models') == \
        'held-out-hands-five-stage-1-models'


def test_dead_links_are_found(tmp_path, monkeypatch):
    """The check itself: a missing file and a missing heading are both reported."""
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'README.md').write_text(
        '# Title\n\n## A part\n\n[ok](#a-part), [ok](docs/x.md#there), [web](https://a.b/#c),\n'
        '[gone](docs/y.md), [no heading](docs/x.md#elsewhere), [no anchor](#b-part)\n'
        '```\n# not a heading: [in code](nowhere.md)\n```\n')
    (tmp_path / 'docs' / 'x.md').write_text('# There\n')
    monkeypatch.setattr(sys.modules[__name__], 'ROOT', str(tmp_path))
    assert dead_links('README.md') == [
        ('docs/y.md', 'no file docs/y.md'),
        ('docs/x.md#elsewhere', 'no heading #elsewhere in docs/x.md'),
        ('#b-part', 'no heading #b-part in README.md'),
    ]


@pytest.mark.parametrize('rel_path', DOCS)
def test_links_reach_their_files_and_headings(rel_path):
    assert dead_links(rel_path) == [], f'{rel_path}: dead links'


@pytest.mark.parametrize('rel_path', DOCS)
def test_named_repository_paths_exist(rel_path):
    with open(osp.join(ROOT, rel_path), encoding='utf-8') as f:
        named = set(REPO_PATH.findall(f.read()))
    assert named, f'{rel_path} names no repository path: the pattern no longer matches'
    missing = sorted(path for path in named if not osp.exists(osp.join(ROOT, path)))
    assert missing == [], f'{rel_path} names paths that are not in the checkout'
