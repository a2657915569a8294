"""A demo township (tiny scale) generated once per session, and configs that point at copies of it."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from cockpit.config import ROOT, Config, load_config


@dataclass
class DemoTownship:
    sources_dir: Path
    manifest: dict

    def config(self, tmp_path: Path, warehouse_url: str, *, copy: bool = False, extra: str = "") -> Config:
        """A config over these sources (or over a private copy of them, to mutate freely)."""
        sources_dir = self.sources_dir
        if copy:
            sources_dir = tmp_path / "sources"
            shutil.copytree(self.sources_dir, sources_dir)
        path = tmp_path / "cockpit.toml"
        path.write_text(
            f'include = [{json.dumps(str(ROOT / "config" / "sources" / "demo.toml"))}]\n'
            f'[warehouse]\nurl = {json.dumps(warehouse_url)}\n'
            f'[demo]\nsources_dir = {json.dumps(str(sources_dir))}\n'
            '[etl]\nretry_attempts = 2\nretry_backoff_seconds = 0.05\n' + extra,
            encoding="utf-8",
        )
        return load_config(path, env={})


@pytest.fixture(scope="session")
def demo_township(tmp_path_factory: pytest.TempPathFactory) -> DemoTownship:
    from cockpit.demo import generate

    out = tmp_path_factory.mktemp("demo-sources")
    manifest = generate(out, scale="tiny", seed=7, overwrite=True)
    return DemoTownship(sources_dir=out, manifest=manifest)
