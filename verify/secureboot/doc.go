// Package secureboot reads what UEFI Secure Boot and the kernel's module
// signing decide at boot, without tools: the machine's Secure Boot state
// from efivarfs (SecureBoot, SetupMode, shim's MokSBStateRT) and the running
// kernel's lockdown level (/sys/kernel/security/lockdown); the signature a
// kernel module carries appended to its ELF image ("~Module signature
// appended~\n" after struct module_signature and a PKCS#7 SignedData, as
// scripts/sign-file.c writes it and kernel/module/signing.c reads it) and
// its signer; the UEFI signature lists shim and the firmware hand the kernel
// (MokListRT, MokListXRT, db: EFI_SIGNATURE_LIST); the DKMS signing key on
// disk; and a kernel image's Authenticode signature (the PE certificate
// table's WIN_CERTIFICATE holding a PKCS#7 SignedData) with its signer.
//
// PKCS#7 and X.509 are parsed with Go's encoding/asn1 and crypto/x509
// only. It identifies signers (issuer and serial number, or subject key
// identifier) and matches them against keys; it does not verify the
// cryptographic signatures themselves. What the state and the signers mean
// for a boot (will the target kernel enforce signatures, is a module's key
// trusted) is verify's to decide.
//
// Every reader is bounded (MaxVar bytes of a variable, the tail of a module
// it is handed, MaxCertTable bytes of a PE certificate table) and safe on
// hostile input: a malformed structure is an error naming what is wrong,
// never a crash. It reads only the fs.FS and files it is handed and never
// writes.
package secureboot
