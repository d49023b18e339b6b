package password

import "testing"

func TestHashCheck(t *testing.T) {
	h, err := Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if ok, rehash, err := Check("correct horse", h); !ok || rehash || err != nil {
		t.Fatalf("Check(right) = %v, %v, %v", ok, rehash, err)
	}
	if ok, _, err := Check("wrong horse", h); ok || err != nil {
		t.Fatalf("Check(wrong) = %v, %v", ok, err)
	}
	h2, _ := Hash("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func TestRehashOnOldParameters(t *testing.T) {
	old := "$argon2id$v=19$m=65536,t=1,p=2$c29tZXNhbHRzb21lc2FsdA$" + "eB3B6tQ5BdO4Pc0g6Dh3Ah5B9kH4i2yqS7fW4t+XGxA"
	if _, rehash, err := Check("x", old); err != nil || !rehash {
		t.Fatalf("Check(old params) rehash=%v err=%v, want rehash", rehash, err)
	}
}

func TestErrors(t *testing.T) {
	if _, err := Hash("short"); err != ErrLength {
		t.Fatalf("Hash(short) err = %v", err)
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$aa$bb", "$argon2id$v=19$m=x$aa$bb"} {
		if _, _, err := Check("whatever1", bad); err == nil {
			t.Errorf("Check(%q) gave no error", bad)
		}
	}
}
