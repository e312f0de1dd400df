"""HTML pages of the hotline, one module per audience: the agent's intake and follow-up desk
(agent), the handling department (department), the caller (citizen) and the hot spots and 三率
(insight). Each module holds its own ``urlpatterns``; ``yiwang.hotline.urls`` joins them."""
