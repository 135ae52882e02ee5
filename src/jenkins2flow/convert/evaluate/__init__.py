"""Groovy values at conversion time: static ones computed, run-time ones as expression trees, the rest flagged.

- `Evaluator` (groovy_eval): an immutable scope; `value`, `string`, `truth`, `closure`, `shell`, `shell_word`, `when`.
- `Static`, `Runtime`, `Unknown` (results): what an evaluation gives.
- `shell_text`: a Groovy string as a shell script (`ShellText`), `when`: declarative `when` directives, `gate_tree`.
The trees are evaluated at run time by `jenkins2flow_runtime.expressions`.
"""

from jenkins2flow.convert.evaluate.groovy_eval import JENKINS_NAMES, Evaluator, output_ref, parse_expression
from jenkins2flow.convert.evaluate.results import Result, Runtime, Static, Unknown, literal
from jenkins2flow.convert.evaluate.shell_text import ShellText, shell_script, shell_word
from jenkins2flow.convert.evaluate.when import gate_tree, when_block, when_condition

__all__ = [
    "Evaluator", "JENKINS_NAMES", "Result", "Runtime", "ShellText", "Static", "Unknown", "gate_tree", "literal",
    "output_ref", "parse_expression", "shell_script", "shell_word", "when_block", "when_condition",
]
