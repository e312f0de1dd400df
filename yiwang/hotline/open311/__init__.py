"""Open311 GeoReport v2 facade over tickets, at /open311/v2/ (docs/hotline.md, "Open311").

Modules: ``urls`` and ``views`` (thin endpoints), ``resources`` (services, definitions and
requests built from categories and tickets), ``privacy`` (what the public may see of a ticket),
``queries`` (``GET requests`` filters), ``submissions`` (``POST requests`` parameters →
``services.intake``), ``formats`` (JSON and XML, errors), ``clients`` (API clients and keys).
"""
