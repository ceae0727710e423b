from django.urls import path

from voronka.core.http import writers_only
from voronka.deals import views

app_name = "deals"

urlpatterns = [
    path("board/", views.board_default, name="board_default"),
    path("pipelines/<slug:slug>/board/", views.board_view, name="board"),
    path("pipelines/<slug:slug>/board/column/<int:stage_id>/", views.board_column, name="board_column"),
    path("deals/", views.deal_list, name="list"),
    path("deals/columns/", views.list_columns, name="list_columns"),
    path("deals/bulk-reassign/", writers_only(views.bulk_reassign), name="bulk_reassign"),
    path("deals/<int:deal_id>/", views.deal_detail, name="detail"),
    path("deals/<int:deal_id>/move/", writers_only(views.move_view), name="move"),
    path("deals/<int:deal_id>/win/", writers_only(views.win_view), name="win"),
    path("deals/<int:deal_id>/archive/", writers_only(views.archive_view), name="archive"),
    path("deals/<int:deal_id>/lose/", writers_only(views.lose_view), name="lose"),
    path("deals/<int:deal_id>/reopen/", writers_only(views.reopen_view), name="reopen"),
    path("deals/<int:deal_id>/pipeline/", writers_only(views.pipeline_change_view), name="pipeline_change"),
    path("deals/<int:deal_id>/tasks/", views.deal_tasks, name="tasks"),
    path("deals/<int:deal_id>/timeline/", views.deal_timeline, name="timeline"),
    path("deals/<int:deal_id>/lines/", writers_only(views.deal_lines), name="lines"),
    path("deals/<int:deal_id>/field/<str:key>/", writers_only(views.deal_field), name="field"),
]
