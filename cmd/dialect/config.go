package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"golang.org/x/crypto/acme"

	"github.com/dialect-corpus/dialect/server"
	"github.com/dialect-corpus/dialect/transcript"
	"github.com/dialect-corpus/dialect/validate"
)

// Config is everything the binary can be told, from a YAML file, DIALECT_*
// environment variables and flags, each overriding the one before.
type Config struct {
	DataDir string       `mapstructure:"data_dir"`
	Server  ServerConfig `mapstructure:"server"`
	Limits  LimitsConfig `mapstructure:"limits"`
	// Check holds the audio thresholds of spec/audio-checks.md.
	Check validate.Config `mapstructure:"check"`
	// Lint holds the transcript rules' project settings.
	Lint transcript.Config `mapstructure:"lint"`

	// sources says where each value came from (loadConfigSources), for
	// dialect config and the first log line.
	sources configSources
}

// ServerConfig is the HTTP side of the configuration.
type ServerConfig struct {
	Addr string `mapstructure:"addr"`
	// SecureCookies marks session cookies Secure with the __Host- prefix
	// even on plain HTTP: set it behind a TLS-terminating proxy.
	SecureCookies bool `mapstructure:"secure_cookies"`
	// TrustedProxies are the reverse proxies (CIDRs or addresses) whose
	// X-Forwarded-For / Forwarded and X-Forwarded-Proto say who the client
	// is and whether it came over HTTPS; in the environment,
	// comma-separated. Default none: those headers are ignored.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// TLS makes the binary serve HTTPS itself (phones give the microphone
	// only to a secure context): certificate files, or ACME.
	TLS TLSConfig `mapstructure:"tls"`
	// HTTPAddr, with TLS, is a plain-HTTP address (":80") that answers ACME
	// HTTP-01 challenges and redirects everything else to HTTPS.
	HTTPAddr string `mapstructure:"http_addr"`
	// MetricsAddr is where /metrics is served, on a listener of its own
	// ("127.0.0.1:9090"); empty (the default): nowhere. The public
	// address answers 404 for /metrics.
	MetricsAddr string `mapstructure:"metrics_addr"`
}

// TLSConfig is server.tls: either a certificate and key in PEM files
// (reloaded on SIGHUP and when the files change), or ACME for a few domains
// (tls.go).
type TLSConfig struct {
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
	// ACMEDomains are the names to get certificates for; in the
	// environment, comma-separated.
	ACMEDomains []string `mapstructure:"acme_domains"`
	ACMEEmail   string   `mapstructure:"acme_email"`
	// ACMEDirectory is the CA's directory URL (default Let's Encrypt's
	// production directory).
	ACMEDirectory string `mapstructure:"acme_directory"`
	// ACMECARoots is a PEM file of extra roots to trust for the directory
	// (a test CA such as Pebble).
	ACMECARoots string `mapstructure:"acme_ca_roots"`
}

// LimitsConfig bounds what one client may do.
type LimitsConfig struct {
	LoginPerIPPerMinute int   `mapstructure:"login_per_ip_per_minute"`
	UploadsPerSpeaker   int   `mapstructure:"uploads_per_speaker"`
	MaxClipBytes        int64 `mapstructure:"max_clip_bytes"`
	// MinFreeDisk is the free space the data directory and the temp
	// directory must keep, or /healthz answers 503 naming disk: bytes, or
	// a size such as 1GiB or 500MB (default 1GiB; 0: no minimum).
	MinFreeDisk string `mapstructure:"min_free_disk"`
}

// minFreeDisk is limits.min_free_disk in bytes (Validate has checked it).
func (l LimitsConfig) minFreeDisk() int64 {
	n, _ := parseBytes(l.MinFreeDisk)
	return n
}

func defaultConfig() Config {
	return Config{
		DataDir: "./dialect-data",
		Server:  ServerConfig{Addr: "127.0.0.1:8080", TLS: TLSConfig{ACMEDirectory: acme.LetsEncryptURL}},
		Limits:  LimitsConfig{LoginPerIPPerMinute: 10, UploadsPerSpeaker: 4, MaxClipBytes: 64 << 20, MinFreeDisk: "1GiB"},
		Check:   validate.DefaultConfig(),
		Lint:    transcript.DefaultConfig(),
	}
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	if c.Server.Addr == "" {
		return errors.New("server.addr is empty")
	}
	if c.DataDir == "" {
		return errors.New("data_dir is empty")
	}
	if err := c.Server.validateTLS(); err != nil {
		return err
	}
	if _, err := server.ParseTrustedProxies(c.Server.TrustedProxies); err != nil {
		return err
	}
	if c.Limits.LoginPerIPPerMinute < 1 || c.Limits.UploadsPerSpeaker < 1 || c.Limits.MaxClipBytes < 1<<10 {
		return errors.New("limits must be positive (max_clip_bytes at least 1024)")
	}
	if _, err := parseBytes(c.Limits.MinFreeDisk); err != nil {
		return fmt.Errorf("limits.min_free_disk: %w", err)
	}
	if c.Server.MetricsAddr != "" && c.Server.MetricsAddr == c.Server.Addr && !strings.HasSuffix(c.Server.Addr, ":0") {
		return errors.New("server.metrics_addr must differ from server.addr: /metrics is not served to the public")
	}
	if err := c.Check.Validate(); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if err := c.Lint.Validate(); err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	return nil
}

// loadConfig reads the configuration for cmd: defaults, then the file named by
// --config, then DIALECT_* variables, then flags bound in flagKeys
// (config key → flag name). Unknown keys in the file and unknown DIALECT_*
// variables are usage errors (config_strict.go).
func loadConfig(cmd *cobra.Command, flagKeys map[string]string) (Config, error) {
	cfg, _, err := loadConfigSources(cmd, flagKeys)
	return cfg, err
}

// loadConfigSources is loadConfig, also saying where each value came from.
func loadConfigSources(cmd *cobra.Command, flagKeys map[string]string) (Config, configSources, error) {
	v := viper.New()
	def := defaultConfig()
	keys := configKeys()
	if err := checkEnv(os.Environ(), keys); err != nil {
		return Config{}, nil, err
	}
	// Every key needs a default, or AutomaticEnv never sees its variable
	// during Unmarshal (spf13/viper#761).
	setDefaults(v, "", reflect.ValueOf(def))
	v.SetEnvPrefix("DIALECT")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()

	var file *viper.Viper
	path, _ := cmd.Flags().GetString("config")
	if path != "" {
		// The file alone, to know its keys: v.AllKeys has the defaults too.
		file = viper.New()
		file.SetConfigFile(path)
		file.SetConfigType("yaml")
		if err := file.ReadInConfig(); err != nil {
			return Config{}, nil, usageError{message: fmt.Sprintf("read config %s: %v", path, err), hint: "check the YAML file, or leave out --config"}
		}
		if err := checkFileKeys(path, file.AllKeys(), keys); err != nil {
			return Config{}, nil, err
		}
		if err := v.MergeConfigMap(file.AllSettings()); err != nil {
			return Config{}, nil, usageError{message: fmt.Sprintf("read config %s: %v", path, err), hint: "check the YAML file, or leave out --config"}
		}
	}
	for key, name := range flagKeys {
		if f := cmd.Flags().Lookup(name); f != nil {
			if err := v.BindPFlag(key, f); err != nil {
				return Config{}, nil, err
			}
		}
	}
	cfg := def
	if err := v.Unmarshal(&cfg); err != nil {
		return Config{}, nil, usageError{message: fmt.Sprintf("config: %v", err), hint: "compare your file with config.example.yaml"}
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, nil, usageError{message: fmt.Sprintf("config: %v", err), hint: "compare your file with config.example.yaml"}
	}
	cfg.sources = sourcesOf(cmd, flagKeys, file, path)
	return cfg, cfg.sources, nil
}

// setDefaults registers every leaf field of rv under its mapstructure key.
func setDefaults(v *viper.Viper, prefix string, rv reflect.Value) {
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		name := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		fv := rv.Field(i)
		if fv.Kind() == reflect.Struct {
			setDefaults(v, key, fv)
			continue
		}
		v.SetDefault(key, fv.Interface())
	}
}
