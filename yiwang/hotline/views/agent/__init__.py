"""Hotline pages (agent): the 12345 agent's desk (话务员工作台).

- ``/hotline/desk/``: the intake screen, built for the keyboard. One form: caller's number (the
  earlier tickets of that number appear when the field is left), name, type, urgency, content
  (the classifier's top three categories appear inline as the agent types, first preselected;
  any leaf can be typed in a search box), region and address; Enter (or Ctrl+Enter) 受理并派单,
  Ctrl+Shift+Enter 仅受理. A 不予受理 category shows the referral text to read to the caller, who
  must be told before the form is accepted. Without JavaScript the suggestions and the caller's
  history come with the first submit. One form submission stores at most one ticket.
- ``/hotline/tickets/``: the queue, by tab (待派单, 退单待审, 待回访, 已回访, 超期, 全部) with a
  search by ticket number or caller's number; a constant number of queries per page.
- ``/hotline/tickets/<number>/``: the ticket for agents: content, category, place, the clocks,
  the masked number (shown in full for a stated purpose), the timeline and the actions its state
  allows (confirm the category, dispatch with an override, review a 退单, 督办, 回访, 办结, 重办,
  当场答复, merge a duplicate).

Only hotline agents (``hotline.intake``/``hotline.dispatch``) use these pages (403 for everyone
else); a ticket outside the agent's centre is 404. The rules live in ``yiwang.hotline.services``;
errors come back as form errors or messages.

One module per page: ``desk``, ``queue``, ``ticket``; ``common`` holds what they share.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from yiwang.hotline.views.agent.desk import (
    desk,
    desk_caller,
    desk_category,
    desk_suggest,
)
from yiwang.hotline.views.agent.queue import (
    queue,
)
from yiwang.hotline.views.agent.ticket import (
    ticket_answer,
    ticket_callback,
    ticket_categorise,
    ticket_close,
    ticket_dispatch,
    ticket_extension,
    ticket_merge,
    ticket_page,
    ticket_phone,
    ticket_reopen,
    ticket_review,
    ticket_supervise,
)

urlpatterns: list[URLPattern] = [
    path("desk/", desk, name="agent_desk"),
    path("desk/caller/", desk_caller, name="agent_desk_caller"),
    path("desk/suggest/", desk_suggest, name="agent_desk_suggest"),
    path("desk/category/", desk_category, name="agent_desk_category"),
    path("tickets/", queue, name="agent_tickets"),
    path("tickets/<str:number>/", ticket_page, name="agent_ticket"),
    path("tickets/<str:number>/category/", ticket_categorise, name="agent_ticket_categorise"),
    path("tickets/<str:number>/dispatch/", ticket_dispatch, name="agent_ticket_dispatch"),
    path("tickets/<str:number>/review/", ticket_review, name="agent_ticket_review"),
    path("tickets/<str:number>/supervise/", ticket_supervise, name="agent_ticket_supervise"),
    path("tickets/<str:number>/extension/", ticket_extension, name="agent_ticket_extension"),
    path("tickets/<str:number>/callback/", ticket_callback, name="agent_ticket_callback"),
    path("tickets/<str:number>/close/", ticket_close, name="agent_ticket_close"),
    path("tickets/<str:number>/reopen/", ticket_reopen, name="agent_ticket_reopen"),
    path("tickets/<str:number>/answer/", ticket_answer, name="agent_ticket_answer"),
    path("tickets/<str:number>/merge/", ticket_merge, name="agent_ticket_merge"),
    path("tickets/<str:number>/phone/", ticket_phone, name="agent_ticket_phone"),
]
