"""mypy plugin: calling a factory_boy factory returns the model it builds.

factory_boy types ``PersonFactory.create()`` (``BaseFactory[T].create -> T``)
but not ``PersonFactory()``, which goes through an untyped metaclass
``__call__`` that mypy does not read (factory_boy issue #468), so mypy thinks
the call returns a ``PersonFactory``. The factories in tests/factories.py name
their model as the type argument (``DjangoModelFactory[Person]``); this hook
makes a call of such a class return that model. Loaded from pyproject.toml
``[tool.mypy] plugins``; not imported at run time.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.maptype import map_instance_to_supertype
from mypy.nodes import TypeInfo
from mypy.plugin import FunctionContext, Plugin
from mypy.types import Instance, Type, get_proper_type

BASE = "factory.base.BaseFactory"


def _model_of(ctx: FunctionContext) -> Type:
    made = get_proper_type(ctx.default_return_type)
    if isinstance(made, Instance) and made.type.has_base(BASE):
        info = next(info for info in made.type.mro if info.fullname == BASE)
        base = map_instance_to_supertype(made, info)
        if base.args:
            return base.args[0]
    return ctx.default_return_type


class FactoryCallPlugin(Plugin):
    def get_function_hook(
        self, fullname: str
    ) -> Callable[[FunctionContext], Type] | None:
        # Called for class instantiations too; only factory classes are hooked.
        node = self.lookup_fully_qualified(fullname)
        info = node.node if node is not None else None
        if isinstance(info, TypeInfo) and info.has_base(BASE) and info.fullname != BASE:
            return _model_of
        return None


def plugin(version: str) -> type[Plugin]:
    return FactoryCallPlugin
