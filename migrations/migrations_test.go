package migrations

import "testing"

// TestDialectsAgree checks that every migration exists for both dialects,
// under the same version and name, so that the two schemas never drift.
func TestDialectsAgree(t *testing.T) {
	pg, err := List("postgres")
	if err != nil {
		t.Fatal(err)
	}
	lite, err := List("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if len(pg) != len(lite) {
		t.Fatalf("%d PostgreSQL migrations, %d SQLite ones", len(pg), len(lite))
	}
	for i := range pg {
		if pg[i].Version != lite[i].Version || pg[i].Name != lite[i].Name {
			t.Errorf("migration %d: %04d_%s (PostgreSQL) against %04d_%s (SQLite)", i, pg[i].Version, pg[i].Name, lite[i].Version, lite[i].Name)
		}
	}
	if _, err := List("mysql"); err == nil {
		t.Error("an unknown dialect was accepted")
	}
}
