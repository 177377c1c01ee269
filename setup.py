"""Only what pyproject.toml cannot say: the repository's fixtures/ folder ships in the wheel as the
package data of ``keras_lint.fixtures`` (the runtime harness's default; see harness/cli.py)."""
from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["keras_lint", "keras_lint.*"]) + ["keras_lint.fixtures"],
    package_dir={"keras_lint.fixtures": "fixtures"},
)
