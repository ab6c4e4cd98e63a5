"""Recipients' and admins' pages in every language: the address decides (/es/staff/…,
/ar/staff/…), right to left in Arabic, with the language links, form labels, choices,
statuses and error messages translated."""

import html
import re

from django.test import Client

from tipline.testing.staff import make_tip


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_inbox_and_a_tip_speak_spanish_with_translated_filters_and_statuses(signed_in):
    tip, _receipt = make_tip("alpha")
    client = signed_in["alpha"]

    inbox = page_text(client.get("/es/staff/inbox/"))
    detail = page_text(client.get(f"/es/staff/tips/{tip.id}/"))

    assert '<html lang="es" dir="ltr">' in inbox
    assert "<h1>Bandeja de entrada</h1>" in inbox and "Cualquier estado" in inbox and "Todos mis canales" in inbox
    assert "<td>Nuevo</td>" in inbox  # the tip's status label
    assert (
        f"Aviso {tip.reference} a Alpha" in detail
        and "Conversación con el informante" in detail
        and "Enviar respuesta" in detail
    )
    assert "Una respuesta corriente" in detail and "Clasificación" in detail
    assert f'href="/staff/tips/{tip.id}/"' in detail and f'href="/ar/staff/tips/{tip.id}/"' in detail  # language links


def test_arabic_staff_pages_read_right_to_left(signed_in):
    tip, _receipt = make_tip("alpha")

    detail = page_text(signed_in["alpha"].get(f"/ar/staff/tips/{tip.id}/"))
    dashboard = page_text(signed_in["alpha"].get("/ar/staff/dashboard/"))

    assert '<html lang="ar" dir="rtl">' in detail and "المحادثة مع المبلّغ" in detail and "إرسال الرد" in detail
    assert "لوحة المعلومات" in dashboard and "الوقت حتى الرد الأول" in dashboard


def test_admin_pages_and_their_forms_are_translated(signed_in):
    from tipline.audit.checkpoints import write_checkpoint

    admin = signed_in["admin"]
    write_checkpoint()  # the worker's hourly checkpoint: the chain is then intact and witnessed

    home = page_text(admin.get("/es/staff/admin/"))
    accounts = page_text(admin.get("/ar/staff/admin/users/"))
    refused = page_text(admin.post("/es/staff/admin/users/", {"username": "ana"}))

    assert "Cuentas" in home and "Miembros verificados" in home and "la cadena está intacta" in home
    assert "حساب جديد" in accounts and "إنشاء الحساب" in accounts and "مستلم لـ" in accounts
    assert "Ya existe un usuario llamado 'ana'." in refused


def test_sign_in_and_its_refusal_come_in_the_addressed_language(db):
    client = Client()

    form = page_text(client.get("/ar/staff/sign-in/"))
    refused = page_text(client.post("/es/staff/sign-in/", {"username": "nobody", "password": "wrong"}))

    assert '<html lang="ar" dir="rtl">' in form and "اسم المستخدم" in form and "كلمة المرور" in form
    assert "Nombre de usuario, contraseña o código incorrectos. Revíselos e inténtelo de nuevo." in refused


def test_the_dashboard_charts_are_drawn_in_the_pages_language(signed_in):
    make_tip("alpha")
    client = signed_in["alpha"]

    dashboard = page_text(client.get("/ar/staff/dashboard/"))
    no_replies = client.get("/ar/staff/dashboard/first-reply.svg").content.decode()
    deadlines = client.get("/es/staff/dashboard/deadlines.svg").content.decode()
    weeks = client.get("/ar/staff/dashboard/tips-per-week.svg").content.decode()

    assert 'src="/ar/staff/dashboard/first-reply.svg"' in dashboard
    assert "لا توجد بيانات" in no_replies and "No data" not in no_replies
    assert "Plazos: vencidos y próximos 7 días" in deadlines and "Vencidos" in deadlines
    assert any(f">{day} " in deadlines for day in ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"))  # Spanish weekdays
    week_labels = re.findall(r">(\d+ [^<]+)</text>", weeks)  # "7 sep." in Spanish would look English from Sep to Nov
    assert len(week_labels) == 12 and not any(re.search("[A-Za-z]", label) for label in week_labels), week_labels
