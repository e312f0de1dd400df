from yiwang.hotline.views import agent, citizen, department, insight

app_name = "hotline"

urlpatterns = [
    *agent.urlpatterns,
    *department.urlpatterns,
    *citizen.urlpatterns,
    *insight.urlpatterns,
]
