package ui

import "testing"

func TestExtraFields(t *testing.T) {
	got := extraFields([]byte(`{"comment":"Кухня \u0026 шкаф,\nбюджет \u003c 100 тыс.","rooms":3,"agree":true,"none":null,
		"colours":["red","green"],"answers":[{"q":"Какая кухня?","a":"Угловая"}],"utm":{"source":"ya"}}`))
	want := []extraField{
		{Key: "comment", Value: "Кухня & шкаф,\nбюджет < 100 тыс."},
		{Key: "rooms", Value: "3"},
		{Key: "agree", Value: "true"},
		{Key: "none", Value: ""},
		{Key: "colours", Value: "red, green"},
		{Key: "answers", Value: "[\n  {\n    \"a\": \"Угловая\",\n    \"q\": \"Какая кухня?\"\n  }\n]", Block: true},
		{Key: "utm", Value: "{\n  \"source\": \"ya\"\n}", Block: true},
	}
	if len(got) != len(want) {
		t.Fatalf("extraFields = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := extraFields(nil); got != nil {
		t.Errorf("extraFields(nil) = %+v, want none", got)
	}
}
