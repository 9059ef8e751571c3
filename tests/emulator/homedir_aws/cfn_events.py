"""z. The EventBridge rule model of the emulator's CloudFormation (cfn.py), as the
Template Reference documents AWS::Events::Rule: the rule and its targets in moto's
EventBridge (PutRule, PutTargets), so DescribeRule and ListTargetsByRule answer them and
the rule's ARN resolves for what names it (a function's AWS::Lambda::Permission with
SourceArn).

Nothing runs a schedule locally: a rule with ScheduleExpression is kept and answered, and
its targets are never invoked on their own (moto's EventBridge runs no schedules either).
The usage function's scheduled tasks (the reconcile every minute, the recount pass every
hour) run locally only when something invokes the function with the rule's Input (a test,
or an operator with `aws lambda invoke` against the emulator).
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-events-rule.html
https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html
https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html

Honoured: Name (else generated), Description, ScheduleExpression, EventPattern, State
(ENABLED, DISABLED), Targets (Id, Arn, Input, InputPath). Replacement when Name or
EventBusName change; everything else in place (targets the template no longer has are
removed). Ref is the name; Fn::GetAtt Arn the rule's ARN.
"""

from __future__ import annotations

import json
from typing import Any

from .cfn import ANY, Model, register


class Rule(Model):
    TYPE = "AWS::Events::Rule"
    PAGE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-events-rule.html"
    NAME_PROPERTY = "Name"
    PROPERTIES = {
        "Name": ANY,
        "Description": ANY,
        "ScheduleExpression": ANY,
        "EventPattern": ANY,
        "State": ANY,
        "Targets": [{"Id": ANY, "Arn": ANY, "Input": ANY, "InputPath": ANY}],
    }
    REPLACEMENT = frozenset({"Name"})
    ATTRIBUTES = frozenset({"Arn"})

    def _events(self) -> Any:
        from moto.events.models import events_backends

        return events_backends[self.account_id][self.region]

    def _put(self, props: dict[str, Any]) -> None:
        pattern = props.get("EventPattern")
        state = props.get("State") or "ENABLED"
        if state not in ("ENABLED", "DISABLED"):
            raise self.fail("State", f"value {state} is not ENABLED or DISABLED")
        self._events().put_rule(
            self.physical_id, description=props.get("Description"),
            event_pattern=json.dumps(pattern) if isinstance(pattern, dict) else pattern,
            scheduled_expression=props.get("ScheduleExpression"), state=state)
        targets = [{key: value for key, value in target.items() if value is not None}
                   for target in props.get("Targets") or []]
        if targets:
            self._events().put_targets(self.physical_id, None, targets)

    def create(self) -> None:
        self.physical_id = self.properties.get("Name") or self.name[:64]
        self._put(self.properties)

    def update(self, new: dict[str, Any]) -> None:
        wanted = {target["Id"] for target in new.get("Targets") or []}
        gone = [target["Id"] for target in self.properties.get("Targets") or [] if target["Id"] not in wanted]
        if gone:
            self._events().remove_targets(self.physical_id, None, gone)
        self._put(new)

    def destroy(self) -> None:
        events = self._events()
        try:
            rule = events.describe_rule(self.physical_id, None)
        except Exception:  # already gone
            return
        if rule.targets:
            events.remove_targets(self.physical_id, None, [t["Id"] for t in rule.targets])
        events.delete_rule(self.physical_id, None)

    def attribute(self, name: str) -> Any:
        return self._events().describe_rule(self.physical_id, None).arn

    def targets(self) -> list[dict[str, Any]]:
        return list(self.properties.get("Targets") or [])


register(Rule)
