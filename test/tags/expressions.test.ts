// The handlebars subset: parsing, checking and rendering of {{...}} expressions.
import { describe, expect, it } from 'vitest';
import { GLOBAL_EXPRESSIONS, VERSION_EXPRESSIONS, isLiteral, isRawStatement, parseTemplate, renderTemplate, type Template } from '../../src/tags/expressions.js';

function parse(source: string, allowed: readonly string[] = GLOBAL_EXPRESSIONS): Template {
  const template = parseTemplate(source, allowed);
  if ('problem' in template) throw new Error(template.problem);
  return template;
}

const render = (source: string): string =>
  renderTemplate(parse(source), (expression) => (expression.date ? `[${expression.name}:${expression.date.format.source}@${expression.date.timeZone}]` : `[${expression.name}]`));

describe('parseTemplate and renderTemplate', () => {
  it.each([
    ['plain text', 'plain text'],
    ['', ''],
    ['{{branch}}', '[branch]'],
    ['{{ branch }}', '[branch]'],
    ['{{{branch}}}', '[branch]'],
    ['mytag-{{branch}}-{{sha}}', 'mytag-[branch]-[sha]'],
    ["{{date 'YYYYMMDD'}}", '[date:YYYYMMDD@UTC]'],
    ['{{date "YYYYMMDD"}}', '[date:YYYYMMDD@UTC]'],
    ["{{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}", '[date:YYYYMMDD-HHmmss@Asia/Tokyo]'],
    ['{{commit_date \'YYYY-MM-DD HH:mm\' tz="Europe/Paris"}}', '[commit_date:YYYY-MM-DD HH:mm@Europe/Paris]'],
    ["{{date 'YYYY-MM-DDTHH:mm:ss.SSS[Z]'}}", '[date:YYYY-MM-DDTHH:mm:ss.SSS[Z]@UTC]'],
    ['a{b}c', 'a{b}c'],
    ['\\{{branch}}', '{{branch}}'],
    ['x{{! a comment }}y', 'xy'],
    // A long comment may hold }} (handlebars ends it at --}}).
    ['x{{!-- {{branch}} --}}y', 'xy'],
    // No format, or an unquoted one, is moment's default format.
    ['{{date}}', '[date:YYYY-MM-DDTHH:mm:ssZ@UTC]'],
    ["{{commit_date YYYY-MM-DD tz='Asia/Tokyo'}}", '[commit_date:YYYY-MM-DDTHH:mm:ssZ@Asia/Tokyo]'],
  ])('%j → %j', (source, expected) => {
    expect(render(source)).toBe(expected);
  });

  // handlebars escapes {{...}} values for HTML, {{{...}}} ones not; metadata-action's tags show it.
  it.each([
    ['{{branch}}', 'feat&amp;x&lt;&gt;&quot;&#x27;&#x60;&#x3D;'],
    ['{{{branch}}}', 'feat&x<>"\'`='],
  ])('%j of the branch feat&x<>"\'`= → %j', (source, expected) => {
    expect(renderTemplate(parse(source), () => 'feat&x<>"\'`=')).toBe(expected);
  });

  it.each([
    ['{{nope}}', GLOBAL_EXPRESSIONS, '"nope" is not known here'],
    ['{{raw}}', GLOBAL_EXPRESSIONS, '"raw" is not known here'],
    ['{{branch}}', VERSION_EXPRESSIONS, '"branch" is not known here (use {{raw}}, {{version}}, {{major}}, {{minor}}, {{patch}})'],
    ['{{#if branch}}x{{/if}}', GLOBAL_EXPRESSIONS, 'is not supported'],
    ['{{branch.name}}', GLOBAL_EXPRESSIONS, 'is not supported'],
    ['{{}}', GLOBAL_EXPRESSIONS, 'is empty'],
    ["{{branch 'x'}}", GLOBAL_EXPRESSIONS, '{{branch}} takes no arguments'],
    ["{{date 'YYYY' 'MM'}}", GLOBAL_EXPRESSIONS, 'write one quoted format'],
    ["{{date 'YYYY' tz=UTC}}", GLOBAL_EXPRESSIONS, 'the tz value must be quoted'],
    ["{{date 'YYYY}}", GLOBAL_EXPRESSIONS, "a quote (') is not closed"],
    ['{{branch', GLOBAL_EXPRESSIONS, 'has no closing }}'],
  ])('%j with %j is refused: %s', (source, allowed, problem) => {
    const template = parseTemplate(source, allowed);
    expect(template).toHaveProperty('problem');
    expect((template as { problem: string }).problem).toContain(problem);
  });
});

describe('isRawStatement', () => {
  it.each([
    ['{{raw}}', true],
    ['{{ raw }}', true],
    ['{{ raw}}', true],
    ['{{ raw }}.{{ version }}', false],
    ['v{{raw}}', false],
    ['{{version}}', false],
  ])('%j → %s', (source, expected) => {
    expect(isRawStatement(parse(source, VERSION_EXPRESSIONS))).toBe(expected);
  });
});

describe('isLiteral', () => {
  it('is true without expressions', () => {
    expect(isLiteral(parse('true'))).toBe(true);
    expect(isLiteral(parse('{{is_default_branch}}'))).toBe(false);
  });
});
