"""Jenkins `matrix` -> one task per inner step carrying its cells (Airflow maps it); see docs/matrix.md."""

from __future__ import annotations

from jenkins2flow.convert import convert_job
from jenkins2flow.ir import Axis, Matrix, Stage, When, WhenBlock
from tests.convert.helpers import job, sh, sp, stage

AXES = (Axis("PLATFORM", ("linux", "mac", "windows")), Axis("BROWSER", ("firefox", "chrome", "safari")))


def _two_by_three() -> Matrix:
    axes = (Axis("PLATFORM", ("linux", "mac")), Axis("BROWSER", ("firefox", "chrome", "safari")))
    exclude = ((Axis("PLATFORM", ("linux",)), Axis("BROWSER", ("safari",))),)
    inner = (stage("Build", sh("make PLATFORM=$PLATFORM")), stage("Test", sh("make test BROWSER=$BROWSER")))
    return Matrix(axes=axes, excludes=exclude, stages=inner, span=sp(3))


def test_two_axes_three_values_one_exclude_give_one_task_per_step_with_five_cells() -> None:
    conv = convert_job(job(stage("Checkout", sh("git pull")), Stage("Cells", sp(3), matrix=_two_by_three()),
                           stage("Publish", sh("make dist"))))
    tasks = {t.id: t for t in conv.pipeline.tasks}  # type: ignore[union-attr]
    assert list(tasks) == ["checkout", "build", "test", "publish"]
    cells = [{"PLATFORM": p, "BROWSER": b} for p in ("linux", "mac") for b in ("firefox", "chrome", "safari")]
    cells.remove({"PLATFORM": "linux", "BROWSER": "safari"})
    assert tasks["build"].matrix == tasks["test"].matrix == cells
    assert tasks["checkout"].matrix == [] and tasks["publish"].matrix == []
    assert tasks["build"].depends_on == ["checkout"]
    assert tasks["test"].depends_on == ["build"]  # the inner stages follow each other
    assert tasks["publish"].depends_on == ["test"]  # the next stage waits for the matrix as a whole
    assert conv.status == "converted"
    entry = next(e for e in conv.ledger if e.element == "matrix")
    assert entry.outcome == "mapped" and "5 combinations (1 excludes honoured)" in entry.reason


def test_a_matrix_with_every_cell_excluded_runs_nothing() -> None:
    mx = Matrix(axes=(Axis("OS", ("a",)),), excludes=((Axis("OS", ("a",)),),), stages=(stage("t", sh("x")),),
                span=sp(3))
    conv = convert_job(job(stage("Before", sh("y")), Stage("M", sp(3), matrix=mx), stage("After", sh("z"))))
    tasks = {t.id: t for t in conv.pipeline.tasks}  # type: ignore[union-attr]
    assert list(tasks) == ["before", "after"] and tasks["after"].depends_on == ["before"]


def test_too_many_cells_fall_back_once() -> None:
    axes = tuple(Axis(f"A{i}", tuple(str(v) for v in range(5))) for i in range(4))  # 625 cells
    conv = convert_job(job(Stage("M", sp(3), matrix=Matrix(axes=axes, excludes=(), stages=(stage("t", sh("x")),),
                                                           span=sp(3)))))
    assert [t.matrix for t in conv.pipeline.tasks] == [[]]  # type: ignore[union-attr]
    assert conv.status != "converted"


def test_when_on_an_axis_inside_a_matrix_is_decided_per_cell_when_converting() -> None:
    when = WhenBlock((When("environment", sp(4), kwargs=(("name", "PLATFORM"), ("value", "linux"))),), sp(4))
    inner = (stage("All", sh("make")), Stage("Only linux", sp(4), steps=(sh("x"),), when=when), stage("Then", sh("y")))
    conv = convert_job(job(Stage("M", sp(3), matrix=Matrix(axes=AXES, excludes=(), stages=inner, span=sp(3)))))
    tasks = {t.id: t for t in conv.pipeline.tasks}  # type: ignore[union-attr]
    assert len(tasks["all"].matrix) == len(tasks["then"].matrix) == 9
    assert tasks["only_linux"].matrix == [{"PLATFORM": "linux", "BROWSER": b} for b in ("firefox", "chrome", "safari")]
    assert tasks["only_linux"].condition is None and tasks["then"].depends_on == ["only_linux"]
    assert conv.status == "converted"  # exact: the stage's tasks map over the cells where it holds
