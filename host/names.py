"""The names ``fracfpga train`` accepts, without importing torch: models, controllers, methods,
recipes.

The command checks every name here before the heavy imports, so a typo fails in a fraction of
a second with one line. The modules that implement the names (``host.models``,
``host.controllers``) take their tables from this one.
"""

from __future__ import annotations

import re

from .errors import ChoiceError

__all__ = ["MODELS", "CONTROLLERS", "PRESETS", "RECIPES", "methods", "parse_method",
           "check_model", "check_recipe", "is_import_path", "default_recipe"]

# built-in model -> (family, depth); ResNet-164 uses bottleneck blocks (9n+2)
MODELS: dict[str, tuple[str, int]] = {
    "resnet8": ("resnet", 8),
    "resnet20": ("resnet", 20),
    "resnet38": ("resnet", 38),
    "resnet74": ("resnet", 74),
    "resnet110": ("resnet", 110),
    "resnet164": ("resnet", 164),
    "mobilenetv2": ("mobilenetv2", 0),
}

# controller name -> "module:Class", in attach order (DFQ's gate before SLU's: parameter order)
CONTROLLERS: dict[str, str] = {
    "pfq": "host.controllers.pfq:PFQController",
    "dfq": "host.controllers.dfq:DFQController",
    "psg": "host.controllers.psg:PSGController",
    "smd": "host.controllers.smd:SMDController",
    "slu": "host.controllers.slu:SLUController",
}
PRESETS: dict[str, tuple[str, ...]] = {
    "static": (),
    "fractrain": ("pfq", "dfq"),
    "e2train": ("smd", "slu", "psg"),
}
RECIPES = ("quick", "fractrain", "e2train")
_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")


def methods() -> tuple[str, ...]:
    """Every method name: ``static``, the controllers, then the other presets."""
    return ("static", *CONTROLLERS, *(p for p in PRESETS if p != "static"))


def parse_method(text: str) -> frozenset[str]:
    """The controllers a method switches on, e.g. ``"fractrain+smd"`` -> {pfq, dfq, smd}."""
    parts = [p.strip().lower() for p in text.split("+") if p.strip()]
    if not parts:
        raise ChoiceError(f"method {text!r} is empty; choose one of {', '.join(methods())}")
    out: set[str] = set()
    for p in parts:
        if p in PRESETS:
            out.update(PRESETS[p])
        elif p in CONTROLLERS:
            out.add(p)
        else:
            raise ChoiceError(f"unknown method {p!r}; choose one of {', '.join(methods())} "
                              f"(or join controllers with '+', e.g. pfq+psg)")
    return frozenset(out)


def is_import_path(name: str) -> bool:
    """``package.module:factory`` (a model the user brings) rather than a built-in name."""
    return ":" in name


def check_model(name: str) -> None:
    """A built-in model name or a well-formed ``package.module:factory``."""
    if is_import_path(name):
        if not _IMPORT_PATH.match(name):
            raise ChoiceError(f"model {name!r} is not an import path; pass "
                              f"package.module:factory (a function of num_classes and "
                              f"in_channels returning a torch.nn.Module)")
        return
    if name not in MODELS:
        raise ChoiceError(f"unknown model {name!r}; known models: {', '.join(MODELS)} "
                          f"(or package.module:factory)")


def check_recipe(name: str) -> None:
    if name not in RECIPES:
        raise ChoiceError(f"unknown recipe {name!r}; use {', '.join(RECIPES)}")


def default_recipe(data: str, method: str) -> str:
    """``quick`` on digits; on CIFAR the official schedule of the paper the method comes from."""
    if data.split(":", 1)[0].strip().lower() == "digits":
        return "quick"
    enabled = parse_method(method)
    return "e2train" if enabled and enabled <= {"smd", "slu", "psg"} else "fractrain"
