package topology

import "net"

// MAC is an Ethernet address that reads and writes as text
// ("02:00:00:00:00:01") in JSON, unlike net.HardwareAddr.
type MAC net.HardwareAddr

// String renders the address in colon form; "" when unset.
func (m MAC) String() string { return net.HardwareAddr(m).String() }

// MarshalText implements encoding.TextMarshaler.
func (m MAC) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *MAC) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = nil
		return nil
	}
	hw, err := net.ParseMAC(string(b))
	if err != nil {
		return err
	}
	*m = MAC(hw)
	return nil
}
