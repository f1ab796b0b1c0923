"""`{{ task|step_label }}`: a task's step said in words ("Day 3 call", 第 3 天电话随访) instead of its key.

It reads the task's enrolment's protocol, so the caller must have loaded it with the task (select_related,
or the object assigned): the parsed definition is cached on the Protocol instance, and the worklist shares
one instance per protocol version (worklist.page_of_tasks) so a page parses each version once.
"""

from django import template

from careloop.followup.models import Task
from careloop.followup.wording import step_label as words_for_step

register = template.Library()


@register.filter
def step_label(task: Task) -> str:
    return words_for_step(task.enrolment.protocol, task.step, task.number)
