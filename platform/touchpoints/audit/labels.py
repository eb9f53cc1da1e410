"""How the audit trail reads to people: Russian names of actions, objects and non-human actors."""

from __future__ import annotations

ACTION_LABELS = {
    "entry.create": "Создана строка",
    "entry.update": "Изменены сведения",
    "entry.submit": "Отправлена на проверку",
    "entry.include": "Включена в перечень",
    "entry.review.include": "Принята уполномоченным лицом",
    "entry.return": "Возвращена на доработку",
    "entry.withdraw": "Отозвана",
    "entry.change": "Внесено изменение",
    "entry.exclude": "Исключена из перечня",
    "entry.propose.change": "Предложено изменение",
    "entry.propose.exclusion": "Предложено исключение",
    "entry.import": "Загружена из файла",
    "list.import": "Загрузка перечня из файла",
    "area.status": "Изменена отметка о направлении деятельности",
    "version.approve": "Утверждена редакция перечня",
    "version.annul": "Аннулировано утверждение редакции перечня",
    "reminders.policy": "Изменён порядок напоминаний",
    "publication.record": "Отмечено размещение на сайте",
    "publication.withdrawn": "Страница сайта перестала показывать актуальную редакцию",
    "publication.restored": "Страница сайта снова показывает актуальную редакцию",
    "report.assessment": "Проектный офис оценил ведение перечня за квартал",
    "subdivision.reconfirm": "Подразделение подтвердило актуальность сведений",
    "agency.create": "Добавлена организация",
    "form.update": "Изменена форма перечня",
    "form_template.update": "Изменён общий шаблон формы",
    "agency.update": "Изменена карточка организации",
    "agency.form_checked": "Подтверждено, что форма перечня проверена",
    "subdivision.create": "Добавлено подразделение",
    "subdivision.rename": "Переименовано подразделение",
    "subdivision.archive": "Подразделение перенесено в архив",
    "subdivision.restore": "Подразделение возвращено из архива",
    "invitation.create": "Отправлено приглашение",
    "invitation.resend": "Приглашение отправлено повторно",
    "invitation.revoke": "Приглашение отозвано",
    "invitation.accept": "Приглашение принято, пароль задан",
    "tenant.create": "Создано из определения",
    "tenant.update": "Обновлено из определения",
    "user.create": "Добавлен пользователь",
    "user.update": "Изменены данные пользователя",
    "user.password": "Изменён пароль",
    "user.activate": "Учётная запись включена",
    "user.deactivate": "Учётная запись отключена",
    "api_token.issue": "Выпущен токен API",
    "api_token.revoke": "Отозван токен API",
    "calendar.override": "Изменён производственный календарь региона",
    "calendar.override.delete": "Удалено исключение производственного календаря",
    "registry.add": "Процесс включён в реестр процессов",
    "registry.update": "Изменены сведения о процессе реестра",
    "registry.archive": "Процесс исключён из реестра процессов",
    "registry.restore": "Процесс снова включён в реестр процессов",
    "registry.import": "Реестр процессов загружен из файла",
    "passport.update": "Изменён паспорт точки взаимодействия",
    "shared.create": "Добавлена общая точка взаимодействия региона",
    "shared.update": "Изменена общая точка взаимодействия региона",
}

OBJECT_LABELS = {
    "entry": "строка перечня",
    "list_version": "редакция",
    "agency": "организация",
    "subdivision": "подразделение",
    "user_account": "пользователь",
    "area_status": "направление деятельности",
    "publication": "размещение",
    "quarter_snapshot": "квартальные показатели",
    "region": "регион",
    "form_template": "форма перечня",
    "api_token": "токен API",
    "calendar_override": "календарь",
    "invitation": "приглашение",
    "registry_process": "процесс реестра",
    "touchpoint_passport": "паспорт точки взаимодействия",
    "shared_touchpoint": "общая точка взаимодействия",
}

ACTOR_LABELS = {
    "cli": "командная строка",
    "sync": "синхронизация определений",
    "import": "импорт",
    "system": "система",
    "": "система",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def object_label(object_type: str) -> str:
    return OBJECT_LABELS.get(object_type, object_type)


def actor_label(event) -> str:
    if event.actor is not None:
        return event.actor.name
    return ACTOR_LABELS.get(event.actor_label or "", event.actor_label)
