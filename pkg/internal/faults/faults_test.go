package faults

import "testing"

func TestTakeUsesFaultsInOrderAndForTheirTimes(t *testing.T) {
	var q Queue[string]
	q.Add("a twice", 2)
	q.Add("b once", 1)
	q.Add("c forever", 0)
	var got []string
	for range 6 {
		f, ok := q.Take(nil)
		if !ok {
			t.Fatal("queue ran dry before the endless fault")
		}
		got = append(got, f)
	}
	want := []string{"a twice", "a twice", "b once", "c forever", "c forever", "c forever"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("took %q, want %q", got, want)
		}
	}
	if q.Len() != 1 {
		t.Errorf("Len = %d with only the endless fault left", q.Len())
	}
	q.Clear()
	if f, ok := q.Take(nil); ok {
		t.Errorf("after Clear took %q", f)
	}
}

func TestTakeSkipsFaultsThatDoNotMatch(t *testing.T) {
	var q Queue[string]
	q.Add("x: for x", 1)
	q.Add("y: for y", 0)
	for _, c := range []struct{ want, take string }{{"y", "y: for y"}, {"x", "x: for x"}, {"x", ""}} {
		f, ok := q.Take(func(f string) bool { return f[:1] == c.want })
		if ok != (c.take != "") || f != c.take {
			t.Errorf("Take(for %s) = %q, %v; want %q", c.want, f, ok, c.take)
		}
	}
}
