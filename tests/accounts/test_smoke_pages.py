import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_patient_list_and_detail_render_for_a_nurse(logged_in, nurse, patient):
    client = logged_in(nurse)
    page = client.post(reverse("patients:list"), {"q": "zs"}, follow=True)
    assert page.status_code == 200
    assert "张三" in page.content.decode()
    detail = client.get(reverse("patients:detail", args=[patient.pk]))
    assert detail.status_code == 200
    assert patient.masked_mobile in detail.content.decode()
    assert patient.mobile not in detail.content.decode()
