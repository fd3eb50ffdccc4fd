"""The built-in task specs (lazy: a task module loads only when the task is used)."""

from ..specs import TaskSpec

TASKS = [
    TaskSpec(name="expression", factory="ferbench.tasks.expression:ExpressionTask",
             summary="One expression label per face (multiclass)"),
    TaskSpec(name="au", factory="ferbench.tasks.au:AUTask",
             summary="Facial action units (multi-label, unknown labels masked)"),
    TaskSpec(name="transfer", factory="ferbench.tasks.transfer:TransferTask",
             summary="Target identity with the source's expression (source, target, truth)"),
]
