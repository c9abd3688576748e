"""The base of the package's pydantic models: built when first used, not at import.

Building a model's validator and serializer is most of what defining it costs. A start-up
(`initialize`, `tools/list`) uses none of them (the tools' schemas are derived ahead of
time), and a call builds only the models it touches, once per process.
"""

from pydantic import BaseModel, ConfigDict

DEFERRED = ConfigDict(defer_build=True)
"""The configuration that defers building; `RootModel`s set it themselves."""


class Model(BaseModel):
    """A pydantic model built at first use."""

    model_config = DEFERRED
