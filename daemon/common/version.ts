// The release version, as package.json says (a test holds them equal). A constant rather than a
// read of package.json at run time: the file sits at a different depth in the source tree, in
// dist/ and in the Debian package.
export const KMS_VERSION = '0.1.0';
