from django.urls import path

from voronka.deals import views

app_name = "deals"

urlpatterns = [
    path("board/", views.board_default, name="board_default"),
    path("pipelines/<slug:slug>/board/", views.board_view, name="board"),
    path("pipelines/<slug:slug>/board/column/<int:stage_id>/", views.board_column, name="board_column"),
    path("deals/", views.deal_list, name="list"),
    path("deals/bulk-reassign/", views.bulk_reassign, name="bulk_reassign"),
    path("deals/<int:deal_id>/", views.deal_detail, name="detail"),
    path("deals/<int:deal_id>/move/", views.move_view, name="move"),
    path("deals/<int:deal_id>/win/", views.win_view, name="win"),
    path("deals/<int:deal_id>/lose/", views.lose_view, name="lose"),
    path("deals/<int:deal_id>/reopen/", views.reopen_view, name="reopen"),
    path("deals/<int:deal_id>/pipeline/", views.pipeline_change_view, name="pipeline_change"),
    path("deals/<int:deal_id>/tasks/", views.deal_tasks, name="tasks"),
    path("deals/<int:deal_id>/timeline/", views.deal_timeline, name="timeline"),
    path("deals/<int:deal_id>/lines/", views.deal_lines, name="lines"),
    path("deals/<int:deal_id>/field/<str:key>/", views.deal_field, name="field"),
]
