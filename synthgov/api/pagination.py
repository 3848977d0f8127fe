from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """For small resources (taxonomy, templates, jobs, collections): pages by number, with a total count."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class IdCursorPagination(pagination.CursorPagination):
    """For large tables (a million QA pairs): keyset pages by id, no COUNT(*) and no OFFSET."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
