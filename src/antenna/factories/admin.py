from django.contrib import admin

from antenna.factories.models import Factory, Partition


class PartitionInline(admin.TabularInline):
    model = Partition
    extra = 0


@admin.register(Factory)
class FactoryAdmin(admin.ModelAdmin):
    """Operators keep factories, partitions and accounting conversions here."""

    list_display = ("display_name", "name", "kind", "country", "status", "accounting_unit",
                    "gpu_hour_factor", "units_per_gpu_hour")
    list_filter = ("kind", "status")
    inlines = [PartitionInline]
