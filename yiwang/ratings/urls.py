from yiwang.ratings.views import citizen, department, public

app_name = "ratings"

urlpatterns = [
    *citizen.urlpatterns,
    *department.urlpatterns,
    *public.urlpatterns,
]
