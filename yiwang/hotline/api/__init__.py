"""The hotline's JSON API at /api/v1/hotline: thin endpoints over ``services`` and ``selectors``.

Three audiences, each reaching tickets only through its own permission-checked selector (a ticket
outside it answers 404 ``ticket_not_found``):

- hotline agents (``hotline.intake``/``hotline.dispatch``, tickets of their centre's region):
  ``POST /tickets`` (受理并派单, ``services.take_in``), the list, one ticket with its timeline,
  the category, dispatch, 退单 review, 督办, 延期 decision, 回访, 办结, 重办, 当场答复, the
  classifier's suggestions and the caller's earlier tickets;
- the handling department (``hotline.handle``, tickets now with a department in its scope):
  its list, 签收, 退单, 延期 request, 答复 (``/tickets/{number}`` shows it the ticket too);
- the citizen (his person is the caller): ``/my/tickets``.

Errors are problem+json with the services' codes. An invalid demand (``ticket_invalid``) lists
every problem at once, both as ``errors`` (``[{field, code, message}]``, like the rest of the
API) and as the service's ``details.errors``; nothing is stored.

One module per audience (``agents``, ``departments``, ``citizens``); ``common`` holds the router
and what they share. Importing the package registers every endpoint on ``router``.
"""

from yiwang.hotline.api import agents, citizens, departments  # noqa: F401  (register routes)
from yiwang.hotline.api.common import router

__all__ = ["router"]
