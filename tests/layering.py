"""The layering rules of DESIGN.md ("The house" and its "Never" list), checked over source files with ``ast``.

Every import statement counts, wherever it stands (module level, inside a function, in a try block), except
those under ``if TYPE_CHECKING:``: they never run, so a type-only import may cross layers. Imports made by
``importlib`` with a computed name are not seen. Rules go by package prefix (``lossbench.report`` and all below
it), never by a list of files, so that modules can move inside their package freely.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HEAVY = ("torch", "optuna", "rich")
LEAVES = ("errors", "text", "stats", "convergence", "decisions")  # shared leaves: every layer may import them; they import only each other

# DESIGN.md's arrows ("may import"); a layer may also import itself, the shared leaves lossbench.errors,
# lossbench.text (making plugin and user strings safe to show) and lossbench.stats (paired tests, intervals,
# Holm, TOST, the significance level: the sweep's racing and the report decide with the same rules) and, where
# it may import the api, the package root ``lossbench`` (the public API: re-exports of api and errors).
ARROWS = {
    "api": set(),
    "registry": {"api"},
    "engine": {"api", "registry", "results"},
    "sweep": {"engine", "results"},
    "results": set(),
    "report": {"results"},
    "testing": {"api", "engine"},
    "cli": {"api", "registry", "engine", "sweep", "results", "report", "testing"},
    "errors": set(),
    "text": set(),
    "stats": set(),
    "convergence": set(),
    "decisions": set(),  # the one judge of a pair (it imports the leaves stats and convergence)
    # the root re-exports the api and errors, and hands out engine's ``train`` and report's ``load_sweep`` lazily
    # (module __getattr__)
    "root": {"api", "engine", "report"},
    "__main__": {"cli"},
    # the built-in plugins (plugins/, installed as lossbench_builtins) are loaded through entry points like any
    # third-party plugin: no layer imports them
    "builtins": {"api"},
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. lossbench.report.html
    path: Path  # the file, relative to the folder that holds the packages
    line: int
    target: str  # the module imported: a submodule where ``from package import name`` names one
    name: str | None  # the name taken by ``from target import name``; None for ``import target``
    where: str  # "module" (runs on import), "function" (runs when called) or "type_checking" (never runs)


@dataclass(frozen=True)
class Break:
    imp: Import
    rule: str

    def __str__(self) -> str:
        name, target = self.imp.name, self.imp.target
        taken = f" ({name})" if name and not target.endswith(f".{name}") else ""
        return f"{self.imp.path}:{self.imp.line}: {self.imp.module} imports {target}{taken}: {self.rule}"


@dataclass
class Tree:
    """Top-level package name -> its folder (``lossbench_builtins`` lives in plugins/), and entry-point modules."""

    roots: dict[str, Path]
    entry_points: list[str]

    def files(self) -> dict[str, Path]:
        """Module name -> file, for every .py below the roots."""
        found = {}
        for package, folder in self.roots.items():
            for path in sorted(folder.rglob("*.py")):
                parts = [package, *path.relative_to(folder).with_suffix("").parts]
                if parts[-1] == "__init__":
                    parts.pop()
                found[".".join(parts)] = path
        return found

    def base(self) -> Path:
        """The folder that holds the packages: file names are shown relative to it."""
        common = Path(os.path.commonpath(list(self.roots.values())))
        return common.parent if common in self.roots.values() else common

    def imports(self) -> list[Import]:
        files = self.files()
        return [imp for module, path in files.items() for imp in _imports_of(module, path, files, self.base())]


def layer(module: str) -> str | None:
    """The layer a module belongs to; None outside lossbench (torch, numpy, ...)."""
    top, _, rest = module.partition(".")
    if top == "lossbench_builtins":
        return "builtins"
    if top != "lossbench":
        return None
    return rest.split(".")[0] if rest else "root"


def allowed_layers(name: str) -> set[str]:
    reach, todo = set(), list(ARROWS[name])
    while todo:
        current = todo.pop()
        if current not in reach:
            reach.add(current)
            todo.extend(ARROWS[current])
    if "api" in reach:
        reach.add("root")
    return reach | {name, *LEAVES}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports_of(module: str, path: Path, files: dict[str, Path], base: Path) -> list[Import]:
    is_package, shown = path.name == "__init__.py", path.relative_to(base)
    found: list[Import] = []

    def visit(node: ast.AST, where: str) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(module, shown, node.lineno, alias.name, None, where) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            origin = node.module or ""
            if node.level:  # relative: from the importing module's package, one level up per extra dot
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                origin = ".".join([*package, *([node.module] if node.module else [])])
            for alias in node.names:
                submodule = f"{origin}.{alias.name}"
                target = submodule if submodule in files else origin
                found.append(Import(module, shown, node.lineno, target, alias.name, where))
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, "type_checking")
            for child in node.orelse:
                visit(child, where)
            return
        inner = "function" if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else where
        for child in ast.iter_child_nodes(node):
            visit(child, "type_checking" if where == "type_checking" else inner)

    visit(ast.parse(path.read_text(), str(path)), "module")
    return found


def _runs(imports: list[Import]) -> list[Import]:
    return [imp for imp in imports if imp.where != "type_checking"]


# --------------------------------------------------------------------------------------------------- the rules


def arrow_breaks(imports: list[Import]) -> list[Break]:
    """The house: each layer imports only what its arrow names, transitively."""
    breaks = []
    for imp in _runs(imports):
        source, target = layer(imp.module), layer(imp.target)
        if target is None:
            continue
        if source not in ARROWS:
            breaks.append(Break(imp, f"layer {source!r} is not in DESIGN.md's picture of the layers"))
        elif target not in allowed_layers(source):
            names = ", ".join(sorted(allowed_layers(source)))
            breaks.append(Break(imp, f"DESIGN.md's arrows: the {source} layer may import only {names}"))
    return breaks


def _module_level_closure(starts: list[str], imports: list[Import], files: dict[str, Path]) -> set[str]:
    """Our modules that importing ``starts`` runs: module-level imports, followed, with their parent packages."""
    at_import: dict[str, list[Import]] = {}
    for imp in imports:
        if imp.where == "module":
            at_import.setdefault(imp.module, []).append(imp)
    seen, todo = set(), list(starts)
    while todo:
        module = todo.pop()
        if module in seen or module not in files:
            continue
        seen.add(module)
        parts = module.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(imp.target for imp in at_import.get(module, []))
    return seen


def light_module_breaks(tree: Tree, imports: list[Import]) -> list[Break]:
    """The api and the plugin registration modules import no torch, optuna or rich at module level, nor does
    anything of ours that they import at module level."""
    files = tree.files()
    starts = [m for m in files if m == "lossbench.api" or m.startswith("lossbench.api.")] + tree.entry_points
    light = _module_level_closure(starts, imports, files)
    rule = "lossbench.api and the plugin registration modules (and what they import) load no torch, optuna or rich"
    return [Break(imp, f"{rule} at module level") for imp in imports
            if imp.where == "module" and imp.module in light and imp.target.split(".")[0] in HEAVY]


def heavy_modules_loaded(module: str, first_on_path: Path | None = None) -> list[str]:
    """In a fresh interpreter: which of torch, optuna, rich importing ``module`` loads."""
    code = (f"import importlib, json, sys\nsys.path[:0] = {[str(first_on_path)] if first_on_path else []!r}\n"
            f"importlib.import_module({module!r})\n"
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"importing {module} failed: {done.stderr}"
    return json.loads(done.stdout)


def cli_import_breaks(imports: list[Import]) -> list[Break]:
    """Nothing imports lossbench.cli (but the cli itself and ``python -m lossbench``)."""
    return [Break(imp, "nothing imports lossbench.cli") for imp in _runs(imports)
            if layer(imp.target) == "cli" and layer(imp.module) not in ("cli", "__main__")]


def report_breaks(imports: list[Import]) -> list[Break]:
    """The report reads stored results only: it never imports engine or sweep."""
    return [Break(imp, "report never imports engine or sweep") for imp in _runs(imports)
            if layer(imp.module) == "report" and layer(imp.target) in ("engine", "sweep")]


def engine_optuna_breaks(imports: list[Import]) -> list[Break]:
    """The engine never imports Optuna: the sweep hands it a per-epoch callback."""
    return [Break(imp, "engine never imports optuna") for imp in _runs(imports)
            if layer(imp.module) == "engine" and imp.target.split(".")[0] == "optuna"]


def cycle_breaks(imports: list[Import]) -> list[Break]:
    """No import cycle inside lossbench: every import of one of our modules by another, wherever it stands (a
    type-only import too: it says the two modules know each other), lies on no cycle of such imports. Each import
    on a cycle is reported, naming the modules the cycle runs through."""
    ours = [imp for imp in imports if imp.module.split(".")[0] == "lossbench" and imp.target.split(".")[0] == "lossbench"
            and imp.target != imp.module]
    graph: dict[str, set[str]] = {}
    for imp in ours:
        graph.setdefault(imp.module, set()).add(imp.target)
    component = _strong_components(graph)
    breaks = []
    for imp in ours:
        members = component.get(imp.module)
        if members is not None and imp.target in members:
            breaks.append(Break(imp, f"an import cycle through {', '.join(sorted(members))}"))
    return breaks


def _strong_components(graph: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    """Module -> the strongly connected component it lies in, for components of two modules or more (Tarjan's
    algorithm, iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: dict[str, frozenset[str]] = {}
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    found.update((member, frozenset(members)) for member in members)
    return found


def public_names(tree: Tree) -> set[str]:
    """``lossbench.__all__``, read from the source."""
    source = ast.parse((tree.roots["lossbench"] / "__init__.py").read_text())
    for node in source.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def builtin_public_name_breaks(tree: Tree, imports: list[Import]) -> list[Break]:
    """Built-in plugins use public names only: ``from lossbench import X`` (X in lossbench.__all__), ``import
    lossbench`` with attributes from __all__, and their own lossbench_builtins modules."""
    public, breaks = public_names(tree), []
    rule = "a built-in plugin uses public names only (from lossbench import X, X in lossbench.__all__)"
    for imp in _runs(imports):
        if layer(imp.module) != "builtins" or layer(imp.target) in (None, "builtins"):
            continue
        if imp.target != "lossbench" or (imp.name is not None and imp.name != "*" and imp.name not in public):
            breaks.append(Break(imp, rule))
    for module, path in tree.files().items():
        if layer(module) == "builtins":
            shown = path.relative_to(tree.base())
            breaks.extend(Break(Import(module, shown, line, f"lossbench.{attr}", None, "module"), rule)
                          for line, attr in _root_attributes(path) if attr not in public)
    return breaks


def _root_attributes(path: Path) -> list[tuple[int, str]]:
    """(line, name) for each ``lossbench.name`` used after ``import lossbench [as alias]``."""
    source = ast.parse(path.read_text())
    aliases = {alias.asname or alias.name for node in ast.walk(source) if isinstance(node, ast.Import)
               for alias in node.names if alias.name == "lossbench"}
    return [(node.lineno, node.attr) for node in ast.walk(source) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id in aliases]
