from django.contrib import admin

from units.models import Student, TrainingUnit, UnitMembership


@admin.register(TrainingUnit)
class TrainingUnitAdmin(admin.ModelAdmin):
    list_display = ["display_order", "code", "name", "name_en", "active"]
    list_display_links = ["name"]
    list_filter = ["active"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["display_order"]


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ["student_no", "name", "unit", "cohort", "level", "major", "withdrawn"]
    list_filter = ["unit", "cohort", "level", "withdrawn"]
    search_fields = ["student_no", "name"]
    list_select_related = ["unit"]
    list_per_page = 50


@admin.register(UnitMembership)
class UnitMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["unit", "role"]
    search_fields = ["user__username", "unit__name"]
    list_select_related = ["user", "unit"]
    autocomplete_fields = ["unit"]
