from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"

    def ready(self) -> None:
        # The one place the core's writes meet the feature above them that
        # reacts to them (docs/decisions/0010-layers.md): the case services
        # queue familiar-faces re-evaluation through what is registered here.
        from cases.familiar.triggers import queue_people_evaluation
        from cases.services._side_effects import register_familiar_faces_queue

        register_familiar_faces_queue(queue_people_evaluation)
