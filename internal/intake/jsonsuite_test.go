package intake

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"leadbox/internal/lead"
)

// jsonSuiteDir holds Nicolas Seriot's JSONTestSuite parsing cases, shared by
// the whole project rather than copied into each package.
const jsonSuiteDir = "../../../shared/testdata/JSONTestSuite/test_parsing"

// TestDecodeJSONTestSuite checks the decoder against JSONTestSuite: every
// n_ (must reject) file and every y_ (must accept) file that is not an
// object is a 400, and no file, i_ (implementation-defined) included, panics
// or yields any other code.
func TestDecodeJSONTestSuite(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(jsonSuiteDir, "*.json"))
	if err == nil && len(files) == 0 {
		err = os.ErrNotExist
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("JSONTestSuite not found in %s: %v", jsonSuiteDir, err)
		}
		t.Skipf("JSONTestSuite not found in %s (%v); it is required when CI=true", jsonSuiteDir, err)
	}
	d := New("")
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.DecodeJSON(body)
			code := lead.ErrorCode(err)
			if err != nil && code != lead.EMalformed && code != lead.EInvalid {
				t.Fatalf("code %d (%v), want EMalformed or EInvalid", code, err)
			}
			mustReject := strings.HasPrefix(name, "n_") ||
				strings.HasPrefix(name, "y_") && !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{"))
			if mustReject && code != lead.EMalformed {
				t.Fatalf("%q: err %v (code %d), want EMalformed", body, err, code)
			}
			// A valid object only lacks a phone; only a repeated key breaks it.
			if strings.HasPrefix(name, "y_") && !mustReject && !strings.Contains(name, "duplicated_key") && code != lead.EInvalid {
				t.Fatalf("%q: err %v (code %d), want EInvalid", body, err, code)
			}
		})
	}
}
