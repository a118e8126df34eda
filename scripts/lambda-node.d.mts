export declare const LAMBDA_NODE_MAJOR: number;
export declare const SUPPORTED_NODE_MAJORS: number[];
export declare function nodeOfMajor(major: number, options?: { install?: boolean }): string | null;
export declare function lambdaNode(options?: { install?: boolean }): string | null;
