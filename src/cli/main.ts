export function main(a: string[]): void { console.log("hi", a); }
