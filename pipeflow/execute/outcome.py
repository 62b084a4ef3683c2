"""What a run ended with: `RunResult`, every step's outcome and the values kept in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pipeflow.execute.context import RunContext
from pipeflow.model.run import Decision, StepOutcome, StepState


@dataclass
class RunResult:
    """What a run ended with: every step's outcome and the values kept in memory."""

    run_id: str
    pipeline: str
    started: datetime
    duration: float
    outcomes: dict[str, StepOutcome]
    context: RunContext
    interrupted: bool = False
    decisions: dict[str, Decision] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(
            o.state in (StepState.DONE, StepState.CACHED, StepState.SKIPPED)
            for o in self.outcomes.values()
        )

    @property
    def failed(self) -> list[str]:
        return [n for n, o in self.outcomes.items() if o.state is StepState.FAILED]
