/** Version of this build (kept in step with package.json by the release process). */
export const DIO_VERSION = '0.1.0';
