package intake

import "testing"

// benchBody is a typical landing-page form lead: contacts, an owner and the
// marks an ad click leaves.
var benchBody = []byte(`{"name":"Иван Петров","phone":"+7 (999) 888-88-88","email":"ivan.petrov@mail.ru",
"userIdOwner":12,"cost":"15000","utmSource":"yandex","utmMedium":"cpc","utmCampaign":"spring_sale",
"utmTerm":"купить диван","yclid":"4823749823749823","roistatId":123456,"formName":"callback"}`)

func BenchmarkDecodeJSON(b *testing.B) {
	d := New("")
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		if _, err := d.DecodeJSON(benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalizePhone(b *testing.B) {
	d := New("")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := d.NormalizePhone("+7 (999) 888-88-88"); !ok {
			b.Fatal("not normalised")
		}
	}
}
